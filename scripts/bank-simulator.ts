import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Webhook } from 'svix';

/**
 * A custody bank for demos and tests (not part of the service). It receives money movements
 * of any kind (releases, refunds, ...) as webhooks, verifies them with an independent library (svix), answers 202,
 * and calls back executed or failed (a configurable failure rate). It also notifies credits
 * for demo payments (POST /simulate/credits). Every call it makes is signed with its secret.
 */
export interface SimulatorOptions {
  port: number;
  serviceUrl: string;
  bankApiKey: string;
  secret: string;
  failureRate: number;
  callbackDelayMs: number;
  log?: (line: string) => void;
}

export interface Simulator {
  url: string;
  stats: { received: number; rejected: number; duplicates: number; executed: number; failed: number; credits: number };
  close(): Promise<void>;
}

let sequence = 0;

export async function startBankSimulator(o: SimulatorOptions): Promise<Simulator> {
  const wh = new Webhook(o.secret);
  const seen = new Set<string>();
  const stats = { received: 0, rejected: 0, duplicates: 0, executed: 0, failed: 0, credits: 0 };
  const log = o.log ?? (() => undefined);

  const signedPost = async (path: string, body: unknown) => {
    const payload = JSON.stringify(body);
    const id = `sim_${Date.now()}_${++sequence}`;
    const at = new Date();
    return fetch(`${o.serviceUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${o.bankApiKey}`,
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': wh.sign(id, at, payload),
      },
      body: payload,
    });
  };

  const handleInstruction = (raw: string, req: IncomingMessage, res: ServerResponse) => {
    // Any kind of movement: the simulator reads the payload's own fields (event type, sides, reference), never its kind.
    let instruction: { type: string; instructionId: string; endToEndRef: string; amount: string; currency: string; from: { accountNumber: string }; to: { accountNumber: string | null } };
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
    setTimeout(() => {
      const failed = Math.random() < o.failureRate;
      const result = {
        instructionId: instruction.instructionId,
        status: failed ? 'failed' : 'executed',
        amount: instruction.amount,
        currency: instruction.currency,
        fromAccountNumber: instruction.from.accountNumber,
        ...(failed ? { reasonCode: 'AC04' } : { bankTransactionId: `SIM${Date.now()}${sequence}` }),
      };
      signedPost('/bank/settlement-results', result)
        .then((r) => {
          if (failed) stats.failed += 1;
          else stats.executed += 1;
          log(`${instruction.type} ${instruction.endToEndRef} ${result.status} (${instruction.amount} ${instruction.currency} to ${instruction.to.accountNumber ?? '?'}): HTTP ${r.status}`);
        })
        .catch((err: Error) => log(`callback failed: ${err.message}`));
    }, o.callbackDelayMs);
  };

  const handleCredit = async (raw: string, res: ServerResponse) => {
    const c = JSON.parse(raw) as { escrowAccountNumber: string; amount: string; payerReference: string; valueDate?: string; payerAccount?: { bank?: string; accountNumber: string; accountName?: string } };
    const r = await signedPost('/bank/credits', {
      bankTransactionId: `SIMCR${Date.now()}${++sequence}`,
      escrowAccountNumber: c.escrowAccountNumber,
      amount: c.amount,
      currency: 'CNY',
      valueDate: c.valueDate ?? new Date().toISOString().slice(0, 10),
      payerReference: c.payerReference,
      ...(c.payerAccount ? { payerAccount: c.payerAccount } : {}),
    });
    stats.credits += 1;
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/webhooks') return handleInstruction(raw, req, res);
      if (req.method === 'POST' && req.url === '/simulate/credits') return void handleCredit(raw, res).catch((e: Error) => res.writeHead(500).end(e.message));
      if (req.method === 'GET' && req.url === '/stats') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(o.port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, stats, close: () => new Promise((r) => server.close(() => r())) };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4100' },
      service: { type: 'string', default: 'http://127.0.0.1:3000' },
      'api-key': { type: 'string' },
      secret: { type: 'string' },
      'failure-rate': { type: 'string', default: '0.05' },
      'callback-delay-ms': { type: 'string', default: '200' },
    },
  });
  if (!values['api-key'] || !values.secret) {
    process.stderr.write('Usage: npm run bank:simulate -- --api-key <bank key> --secret <whsec_...> [--port 4100] [--service http://127.0.0.1:3000] [--failure-rate 0.05]\n');
    process.exit(2);
  }
  const sim = await startBankSimulator({
    port: Number(values.port),
    serviceUrl: values.service!,
    bankApiKey: values['api-key'],
    secret: values.secret,
    failureRate: Number(values['failure-rate']),
    callbackDelayMs: Number(values['callback-delay-ms']),
    log: (l) => process.stdout.write(`${l}\n`),
  });
  process.stdout.write(`bank simulator listening on ${sim.url}/webhooks (register it as the bank's webhookUrl)\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) void main();
