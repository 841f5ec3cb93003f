import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Webhook } from 'svix';
import { chinaDay, StatementBook } from './bank-simulator/statement-book';
import { contentTypeOf, SendStatementsOptions, SentStatement, statementFile } from './bank-simulator/statement-files';
import { normalised } from './bank-simulator/statement-amounts';

/**
 * A custody bank for demos and tests (not part of the service). It receives money movements
 * of any kind (releases, refunds, ...) as webhooks, verifies them with an independent library (svix), answers 202,
 * and calls back executed or failed (a configurable failure rate). It also notifies credits
 * for demo payments (POST /simulate/credits). It keeps a book of what it credited and executed per
 * escrow account and delivers daily statements of it in camt.053 or MT940, with faults injected
 * on request (POST /simulate/statements). Every call it makes is signed with its secret.
 */
export interface SimulatorOptions {
  port: number;
  serviceUrl: string;
  bankApiKey: string;
  secret: string;
  failureRate: number;
  callbackDelayMs: number;
  /**
   * Accounts without funds: the first N instructions naming one of them (on either side) fail
   * with AM04 (insufficient funds), whatever the failure rate; later ones go as usual.
   */
  failAccounts?: Record<string, number>;
  /** Written into statement message ids; the service knows the bank by its key. */
  bankCode?: string;
  log?: (line: string) => void;
}

export interface StatementsSent {
  date: string;
  format: SendStatementsOptions['format'];
  file: string | null;
  /** HTTP status of POST /bank/statements (null when every statement was skipped: nothing sent). */
  status: number | null;
  response: any;
  statements: SentStatement[];
}

export interface Simulator {
  url: string;
  stats: { received: number; rejected: number; duplicates: number; executed: number; failed: number; credits: number; statements: number };
  book: StatementBook;
  /** Writes and delivers (signed) the day's statement file of the accounts asked for, with the faults asked for. */
  sendStatements(o: SendStatementsOptions): Promise<StatementsSent>;
  close(): Promise<void>;
}

let sequence = 0;

/** A bank transaction id of 16 characters (MT940's reference field): prefix, time, randomness, counter. */
function bankTransactionId(prefix: 'SC' | 'SX'): string {
  const time = Date.now().toString(36).toUpperCase().padStart(8, '0').slice(-8);
  const noise = randomBytes(2).toString('hex').toUpperCase().slice(0, 2);
  return `${prefix}${time}${noise}${(++sequence % 36 ** 4).toString(36).toUpperCase().padStart(4, '0')}`;
}

export async function startBankSimulator(o: SimulatorOptions): Promise<Simulator> {
  const wh = new Webhook(o.secret);
  const seen = new Set<string>();
  const stats = { received: 0, rejected: 0, duplicates: 0, executed: 0, failed: 0, credits: 0, statements: 0 };
  const log = o.log ?? (() => undefined);
  const book = new StatementBook(o.bankCode ?? 'SIMBANK');
  const failLeft: Record<string, number> = { ...(o.failAccounts ?? {}) };

  const signedPost = async (path: string, payload: string, contentType = 'application/json') => {
    const id = `sim_${Date.now()}_${++sequence}`;
    const at = new Date();
    return fetch(`${o.serviceUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        authorization: `Bearer ${o.bankApiKey}`,
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': wh.sign(id, at, payload),
      },
      body: payload,
    });
  };

  const handleInstruction = (raw: string, req: IncomingMessage, res: ServerResponse) => {
    // Any kind of movement: the simulator reads the payload's own fields (direction, sides, reference), never its kind.
    let instruction: {
      type: string;
      instructionId: string;
      endToEndRef: string;
      direction: 'in' | 'out';
      amount: string;
      currency: string;
      remittanceInformation?: string;
      from: { accountNumber: string; accountName?: string; bankCode?: string };
      to: { accountNumber: string | null; accountName?: string; bankCode?: string };
    };
    try {
      instruction = wh.verify(raw, req.headers as Record<string, string>) as typeof instruction;
    } catch {
      stats.rejected += 1;
      return res.writeHead(401).end('{"error":"bad signature"}');
    }
    const webhookId = String(req.headers['webhook-id']);
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
    if (seen.has(webhookId)) {
      stats.duplicates += 1; // the same instruction delivered again: executed once
      return;
    }
    seen.add(webhookId);
    stats.received += 1;
    const broke = [instruction.from.accountNumber, instruction.to.accountNumber].find((a) => a && (failLeft[a] ?? 0) > 0);
    if (broke) failLeft[broke] -= 1;
    setTimeout(() => {
      const failed = broke !== undefined || Math.random() < o.failureRate;
      const bankTxn = failed ? null : bankTransactionId('SX');
      if (bankTxn) {
        // Booked when executed, whatever the service answers: the bank's book is the bank's truth.
        const out = instruction.direction !== 'in';
        const escrow = out ? instruction.from : instruction.to;
        const other = out ? instruction.to : instruction.from;
        const at = new Date();
        book.book(escrow.accountNumber!, instruction.currency, {
          direction: out ? 'DBIT' : 'CRDT',
          amount: normalised(instruction.amount, instruction.currency),
          bankTransactionId: bankTxn,
          endToEndRef: instruction.endToEndRef,
          bookedAt: at,
          bookingDate: chinaDay(at),
          valueDate: chinaDay(at),
          details: instruction.remittanceInformation ?? instruction.endToEndRef,
          counterparty: { bank: other.bankCode, accountNumber: other.accountNumber, accountName: other.accountName },
        }, escrow.accountName ?? null);
        // Money out to another account at this bank (another escrow account: a closure's transfer) arrives there the same moment.
        if (out && other.bankCode === book.bankCode && other.accountNumber) {
          book.book(other.accountNumber!, instruction.currency, {
            direction: 'CRDT',
            amount: normalised(instruction.amount, instruction.currency),
            bankTransactionId: `${bankTxn}C`,
            endToEndRef: instruction.endToEndRef,
            bookedAt: at,
            bookingDate: chinaDay(at),
            valueDate: chinaDay(at),
            details: instruction.remittanceInformation ?? instruction.endToEndRef,
            counterparty: { bank: escrow.bankCode, accountNumber: escrow.accountNumber, accountName: escrow.accountName },
          }, other.accountName ?? null);
        }
      }
      const result = {
        instructionId: instruction.instructionId,
        status: failed ? 'failed' : 'executed',
        amount: instruction.amount,
        currency: instruction.currency,
        fromAccountNumber: instruction.from.accountNumber,
        ...(failed ? { reasonCode: broke ? 'AM04' : 'AC04' } : { bankTransactionId: bankTxn }),
      };
      signedPost('/bank/settlement-results', JSON.stringify(result))
        .then((r) => {
          if (failed) stats.failed += 1;
          else stats.executed += 1;
          log(`${instruction.type} ${instruction.endToEndRef} ${result.status} (${instruction.amount} ${instruction.currency} to ${instruction.to.accountNumber ?? '?'}): HTTP ${r.status}`);
        })
        .catch((err: Error) => log(`callback failed: ${err.message}`));
    }, o.callbackDelayMs);
  };

  const handleCredit = async (raw: string, res: ServerResponse) => {
    const c = JSON.parse(raw) as { escrowAccountNumber: string; amount: string; currency?: string; payerReference: string; valueDate?: string; payerAccount?: { bank?: string; accountNumber: string; accountName?: string } };
    const currency = c.currency ?? 'CNY';
    const at = new Date();
    const id = bankTransactionId('SC');
    const valueDate = c.valueDate ?? chinaDay(at);
    const r = await signedPost(
      '/bank/credits',
      JSON.stringify({ bankTransactionId: id, escrowAccountNumber: c.escrowAccountNumber, amount: c.amount, currency, valueDate, payerReference: c.payerReference, ...(c.payerAccount ? { payerAccount: c.payerAccount } : {}) }),
    );
    // A credit the service refused (no such escrow account) is sent back to the payer: not booked.
    if (r.ok) {
      book.book(c.escrowAccountNumber, currency, {
        direction: 'CRDT',
        amount: normalised(c.amount, currency),
        bankTransactionId: id,
        endToEndRef: null,
        bookedAt: at,
        bookingDate: chinaDay(at),
        valueDate,
        details: `PAYMENT ${c.payerReference ?? ''}`.trim(),
        counterparty: c.payerAccount ? { bank: c.payerAccount.bank, accountNumber: c.payerAccount.accountNumber, accountName: c.payerAccount.accountName } : null,
      });
    }
    stats.credits += 1;
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
  };

  const sendStatements = async (options: SendStatementsOptions): Promise<StatementsSent> => {
    const built = statementFile(book, options, new Date());
    let status: number | null = null;
    let response: unknown = null;
    if (built.file !== null) {
      const r = await signedPost('/bank/statements', built.file, contentTypeOf(built.format));
      status = r.status;
      const text = await r.text();
      response = text.startsWith('{') ? JSON.parse(text) : text;
    }
    // Delivered (or all skipped): the statements count as produced, so the next day opens with their closings.
    if (status === null || (status >= 200 && status < 300)) {
      for (const s of built.produced) book.commit(s);
      stats.statements += built.statements.filter((s) => !s.skipped).length;
    }
    log(`statements ${built.format} ${built.date}: ${built.statements.map((s) => `${s.accountNumber} #${s.sequence}${s.skipped ? ' (skipped)' : ''}`).join(', ')} → HTTP ${status ?? '-'}`);
    return { date: built.date, format: built.format, file: built.file, status, response, statements: built.statements };
  };

  const handleStatements = async (raw: string, res: ServerResponse) => {
    let result: StatementsSent;
    try {
      result = await sendStatements(JSON.parse(raw || '{}') as SendStatementsOptions);
    } catch (err) {
      return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d));
    req.on('end', () => {
      const fail = (e: Error) => res.writeHead(500).end(e.message);
      if (req.method === 'POST' && req.url === '/webhooks') return handleInstruction(raw, req, res);
      if (req.method === 'POST' && req.url === '/simulate/credits') return void handleCredit(raw, res).catch(fail);
      if (req.method === 'POST' && req.url === '/simulate/statements') return void handleStatements(raw, res).catch(fail);
      if (req.method === 'GET' && req.url === '/stats') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(o.port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, stats, book, sendStatements, close: () => new Promise((r) => server.close(() => r())) };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4100' },
      service: { type: 'string', default: 'http://127.0.0.1:3000' },
      'api-key': { type: 'string' },
      secret: { type: 'string' },
      'bank-code': { type: 'string' },
      'failure-rate': { type: 'string', default: '0.05' },
      'callback-delay-ms': { type: 'string', default: '200' },
      // ACCOUNT[:N]: the first N (default 1) instructions naming the account fail with AM04.
      'fail-account': { type: 'string', multiple: true },
    },
  });
  if (!values['api-key'] || !values.secret) {
    process.stderr.write('Usage: npm run bank:simulate -- --api-key <bank key> --secret <whsec_...> [--port 4100] [--service http://127.0.0.1:3000] [--failure-rate 0.05] [--bank-code CODE] [--fail-account ACCOUNT[:N]]\n');
    process.exit(2);
  }
  const sim = await startBankSimulator({
    port: Number(values.port),
    serviceUrl: values.service!,
    bankApiKey: values['api-key'],
    secret: values.secret,
    bankCode: values['bank-code'],
    failureRate: Number(values['failure-rate']),
    callbackDelayMs: Number(values['callback-delay-ms']),
    failAccounts: Object.fromEntries((values['fail-account'] ?? []).map((f) => [f.split(':')[0], Number(f.split(':')[1] ?? '1')])),
    log: (l) => process.stdout.write(`${l}\n`),
  });
  process.stdout.write(`bank simulator listening on ${sim.url}/webhooks (register it as the bank's webhookUrl); POST ${sim.url}/simulate/statements sends statements\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) void main();
