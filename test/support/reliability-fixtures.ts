import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { BanksService } from '@modules/banks/banks.service';
import { TestApp, TestResponse } from './test-app';

let seq = 0;

/** A custody bank sending signed requests (Standard Webhooks) with its own key: credits and settlement results. */
export async function signedBank(t: TestApp, bankCode = 'ICBC-SH') {
  const secret = (await t.app.get(BanksService).deliveryTarget(bankCode))!.secrets[0];
  const key = await t.createKey({ role: 'bank', bankCode });
  const send = (path: string, payload: string, webhookId = `rel-${process.pid}-${++seq}`): Promise<TestResponse> => {
    const at = new Date();
    return t.request('POST', path, {
      key,
      rawBody: payload,
      headers: { 'webhook-id': webhookId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(webhookId, at, payload) },
    });
  };
  return {
    secret,
    /** A credit notice; the same `bankTransactionId` twice is the same credit. */
    credit: (c: { escrowAccountNumber: string; amount: string; payerReference?: string; bankTransactionId?: string }, webhookId?: string) =>
      send('/bank/credits', JSON.stringify({ bankTransactionId: c.bankTransactionId ?? `BT-${process.pid}-${++seq}`, escrowAccountNumber: c.escrowAccountNumber, amount: c.amount, currency: 'CNY', valueDate: '2026-11-22', payerReference: c.payerReference }), webhookId),
    /** The bank's result for a movement it was instructed. */
    result: (r: { instructionId: string; status: 'executed' | 'failed'; amount: string; fromAccountNumber: string; bankTransactionId?: string; reasonCode?: string }, webhookId?: string) =>
      send('/bank/settlement-results', JSON.stringify({ currency: 'CNY', ...r }), webhookId),
  };
}

export interface Delivered {
  instructionId: string;
  amount: string;
  fromAccountNumber: string;
  kind: string;
}

/** A custody bank's webhook endpoint on loopback that accepts every instruction and remembers it. */
export async function bankReceiver() {
  const delivered = new Map<string, Delivered>();
  let deliveries = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      deliveries += 1;
      try {
        const b = JSON.parse(raw);
        delivered.set(b.instructionId, { instructionId: b.instructionId, amount: b.amount, fromAccountNumber: b.from?.accountNumber, kind: b.kind });
      } catch {
        /* not an instruction: answered all the same */
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/escrow/webhooks`,
    delivered,
    deliveries: () => deliveries,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Runs `tasks` with at most `limit` in flight; resolves when all settled. */
export async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/** The fast-check seed of a run: FC_SEED when set (an integer, to replay a run), otherwise a fresh one. */
export function fcSeed(): number {
  const raw = process.env.FC_SEED;
  if (raw === undefined || raw === '') return Date.now() % 2 ** 31;
  if (!/^-?\d+$/.test(raw)) throw new Error(`FC_SEED must be an integer, not ${raw}`);
  return Number(raw);
}
