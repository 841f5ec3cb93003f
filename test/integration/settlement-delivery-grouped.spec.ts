import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { eventually, QUEUE_BACKENDS, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 18: concurrent deliveries share their statements (one read, one sequence statement, one
 * statement recording the attempts with the movements' new states: group commit) and POST over
 * kept-alive connections. What must not change: every attempt recorded once, with its state,
 * before its job completes; a failed flush fails its jobs (they retry, nothing is counted twice);
 * sequences unique per escrow account; the bank's URL and secrets as they are at each attempt.
 */

interface Hit {
  id: string;
  port: number;
  /** How many `v1,` signatures the request carried (one per current secret). */
  signatures: number;
  sequence: number;
  verified: boolean;
}

/** A receiver that records each request's webhook id, client port (its TCP connection), sequence and signature check. */
async function receiver(answer: (n: number, id: string) => number = () => 200) {
  const hits: Hit[] = [];
  const secrets: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const verified = secrets.some((s) => {
        try {
          new Webhook(s).verify(raw, req.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      });
      const id = String(req.headers['webhook-id']);
      hits.push({ id, port: req.socket.remotePort!, signatures: String(req.headers['webhook-signature']).split(' ').length, sequence: JSON.parse(raw).sequence, verified });
      res.writeHead(answer(hits.length, id), { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, hits, secrets, close: () => new Promise((r) => server.close(r)) };
}

describe.each(QUEUE_BACKENDS)('grouped settlement delivery on %s', (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ backend, env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100,100', SETTLEMENT_RETRY_JITTER: '0', QUEUE_CONCURRENCY: '32' } });
  });
  afterEach(() => t.close());

  async function bank(url: string): Promise<string> {
    return (await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: url } })).body.secret;
  }

  /** `n` release movements over `accounts` escrow accounts, as money-movements writes them (fixture: no ledger needed to deliver). */
  async function movements(n: number, accounts: number, tag = 'm'): Promise<string[]> {
    const prefix = `${tag.toUpperCase()}X`.slice(0, 2);
    await t.db.query(
      `INSERT INTO institutions (id, name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone, basic_account_bank, basic_account_number)
       SELECT gen_random_uuid(), '机构' || i, $2 || lpad(i::text, 16, '0'), '310117', 'subject', 'for_profit', '地址', '法人', '联系人', '13800000000', 'BOC-SH', '62' || lpad(i::text, 10, '0')
         FROM generate_series(1, $1) i`,
      [accounts, prefix],
    );
    await t.db.query(
      `INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, mode, agreement_reference)
       SELECT id, 'ICBC-SH', 'E' || uscc, name, 'full_custody', 'AGR' FROM institutions WHERE uscc LIKE $1 || '%'`,
      [prefix],
    );
    const rows = await t.db.query<{ id: string }>(
      `INSERT INTO settlement_instructions (kind, escrow_account_id, institution_id, amount, currency, end_to_end_ref, source_ref, district_code,
                                            escrow_bank_code, escrow_account_number, escrow_account_name, payee_bank, payee_account_number, payee_account_name)
       SELECT 'release', e.id, e.institution_id, 1.00 + (n % 100), 'CNY', 'EM' || $3 || lpad(upper(to_hex(n)), 12, '0'), $3 || '.' || n, i.district_code,
              e.bank_code, e.account_number, e.account_name, i.basic_account_bank, i.basic_account_number, i.name
         FROM generate_series(1, $1) n
         JOIN (SELECT id, institution_id, bank_code, account_number, account_name, row_number() OVER (ORDER BY id) - 1 AS k
                 FROM escrow_accounts WHERE account_number LIKE 'E' || $3 || '%') e ON e.k = n % $2
         JOIN institutions i ON i.id = e.institution_id
       RETURNING id`,
      [n, accounts, prefix],
    );
    return rows.map((r) => r.id);
  }

  /** Their first attempts, queued as the outbox relay queues them (deterministic job ids). */
  const deliver = (ids: string[]) =>
    t.app.get(QueueService).addBulk(ids.map((id) => ({ name: JobName.SettlementInstructionCreated, payload: { instructionId: id }, jobId: jobId('instruction', id) })));

  const acknowledged = async (ids: string[]) =>
    (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM settlement_instructions WHERE id = ANY($1) AND state = 'acknowledged'`, [ids]))[0].n === ids.length;

  it('concurrent attempts share their commits and stay exact: one record per attempt, counts and states, gap-free sequences, kept-alive connections', async () => {
    // Every third movement's first attempt is refused (500) and retried at once.
    const refused = new Set<string>();
    const r = await receiver((_n, id) => {
      if (refused.has(id) || r.hits.filter((h) => h.id === id).length > 1) return 200;
      if (r.hits.length % 3 === 0) {
        refused.add(id);
        return 500;
      }
      return 200;
    });
    try {
      r.secrets.push(await bank(r.url));
      const ids = await movements(120, 4);
      await deliver(ids);
      await eventually(() => acknowledged(ids), 60000);

      const rows = await t.db.query<{ id: string; attempts: number; recorded: number; sequence: string; escrow_account_id: string }>(
        `SELECT s.id, s.attempts, s.sequence::text, s.escrow_account_id, (SELECT count(*)::int FROM settlement_delivery_attempts a WHERE a.instruction_id = s.id) AS recorded
           FROM settlement_instructions s WHERE s.id = ANY($1)`,
        [ids],
      );
      for (const row of rows) {
        const expected = refused.has(row.id) ? 2 : 1;
        expect({ id: row.id, attempts: row.attempts, recorded: row.recorded }).toEqual({ id: row.id, attempts: expected, recorded: expected });
      }
      expect(refused.size).toBeGreaterThan(10);
      // Each account's movements are numbered 1..n, each once; a retry carries the same number.
      const byAccount = new Map<string, number[]>();
      for (const row of rows) byAccount.set(row.escrow_account_id, [...(byAccount.get(row.escrow_account_id) ?? []), Number(row.sequence)]);
      for (const seqs of byAccount.values()) expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i + 1));
      const sequenceOf = new Map(rows.map((row) => [row.id, Number(row.sequence)]));
      expect(r.hits.every((h) => h.verified && h.sequence === sequenceOf.get(h.id))).toBe(true);
      expect(r.hits).toHaveLength(120 + refused.size);

      // Group commit: several attempts were recorded by one transaction (xmin), and refusals recorded as failed attempts.
      const [{ transactions, attempts }] = await t.db.query<{ transactions: number; attempts: number }>(
        `SELECT count(DISTINCT xmin::text)::int AS transactions, count(*)::int AS attempts FROM settlement_delivery_attempts WHERE instruction_id = ANY($1)`,
        [ids],
      );
      expect(attempts).toBe(120 + refused.size);
      expect(transactions).toBeLessThan(attempts);
      const failed = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM settlement_delivery_attempts WHERE status_code = 500 AND instruction_id = ANY($1)`, [ids]);
      expect(failed[0].n).toBe(refused.size);
      // Kept-alive: far fewer TCP connections than requests, never more than the worker's concurrency.
      const connections = new Set(r.hits.map((h) => h.port)).size;
      expect(connections).toBeLessThanOrEqual(32);
      expect(connections).toBeLessThan(r.hits.length / 2);
    } finally {
      await r.close();
    }
  });

  it('a failed group commit records nothing and fails its jobs; they retry, and no attempt is counted twice', async () => {
    const r = await receiver();
    try {
      r.secrets.push(await bank(r.url));
      const ids = await movements(40, 2, 'f');
      // The database refuses every attempt record while the flag row exists (a failing flush, as a lost connection or a full disk would).
      await t.db.query(`CREATE TABLE flush_fault (on_ boolean)`);
      await t.db.query(`INSERT INTO flush_fault VALUES (true)`);
      await t.db.query(`CREATE FUNCTION flush_fault() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN IF EXISTS (SELECT 1 FROM flush_fault) THEN RAISE EXCEPTION 'injected flush failure'; END IF; RETURN NULL; END $$`);
      await t.db.query(`CREATE TRIGGER flush_fault BEFORE INSERT ON settlement_delivery_attempts FOR EACH STATEMENT EXECUTE FUNCTION flush_fault()`);
      await deliver(ids);
      await eventually(async () => new Set(r.hits.map((h) => h.id)).size === ids.length, 30000);
      await new Promise((res) => setTimeout(res, 500));
      // Sent, but nothing recorded: the jobs failed instead of completing.
      const during = await t.db.query<{ attempts: number; state: string }>(`SELECT attempts, state FROM settlement_instructions WHERE id = ANY($1)`, [ids]);
      expect(during.every((m) => m.attempts === 0 && m.state === 'pending')).toBe(true);
      expect((await t.db.query(`SELECT 1 FROM settlement_delivery_attempts`)).length).toBe(0);

      await t.db.query(`DELETE FROM flush_fault`);
      // The jobs' own retries (the queue's backoff, 5 s and more) bring them back.
      await eventually(() => acknowledged(ids), 90000);
      const rows = await t.db.query<{ attempts: number; recorded: number }>(
        `SELECT s.attempts, (SELECT count(*)::int FROM settlement_delivery_attempts a WHERE a.instruction_id = s.id) AS recorded FROM settlement_instructions s WHERE s.id = ANY($1)`,
        [ids],
      );
      expect(rows.every((m) => m.attempts === 1 && m.recorded === 1)).toBe(true);
      // Each was sent again by its job's retry, under the same webhook id and sequence.
      for (const id of ids) {
        const sent = r.hits.filter((h) => h.id === id);
        expect(sent.length).toBeGreaterThanOrEqual(2);
        expect(new Set(sent.map((h) => h.sequence)).size).toBe(1);
      }
    } finally {
      await r.close();
    }
  });

  it("kept-alive connections follow the bank's URL change and secret rotation at once", async () => {
    const a = await receiver();
    const b = await receiver();
    try {
      const first = await bank(a.url);
      a.secrets.push(first);
      const before = await movements(10, 1, 'ka');
      await deliver(before);
      await eventually(() => acknowledged(before));
      expect(a.hits.every((h) => h.verified)).toBe(true);

      await t.request('PATCH', '/admin/banks/ICBC-SH', { body: { webhookUrl: b.url } });
      const rotated = (await t.request('POST', '/admin/banks/ICBC-SH/secrets')).body.secret as string;
      b.secrets.push(rotated);
      const after = await movements(10, 1, 'kb');
      await deliver(after);
      await eventually(() => acknowledged(after));
      expect(a.hits.map((h) => h.id).sort()).toEqual([...before].sort());
      expect(b.hits.map((h) => h.id).sort()).toEqual([...after].sort());
      // Signed with the secrets of the moment: the new one verifies on its own, the old one rides along until retired.
      expect(a.hits.every((h) => h.signatures === 1)).toBe(true);
      expect(b.hits.every((h) => h.verified && h.signatures === 2)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
