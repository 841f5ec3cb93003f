import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Clock } from '@common/clock';
import { bankReceiver } from '../support/bank-receiver';
import { school } from '../support/contract-fixtures';
import { spawnService } from '../support/spawn-service';
import { eventually, QUEUE_BACKENDS, startTestApp, TestApp } from '../support/test-app';

const receiver = bankReceiver;

describe.each(QUEUE_BACKENDS)('settlement delivery on %s', (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ backend, env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100,100,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
  });
  afterEach(() => t.close());

  /** A confirmed lesson of 100.00 produces one release instruction for bank ICBC-SH. */
  async function releaseOneLesson(webhookUrl: string, setSecret: (s: string) => void) {
    const bank = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl } });
    setSecret(bank.body.secret);
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t);
    await t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' } });
    const c = await s.contract(2, '200.00');
    t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
    const lesson = (
      await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
        key: s.instKey,
        body: { sessionKey: 'd1', courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: 'T', location: 'R', attendees: [c.id] },
      })
    ).body.lessons[0];
    await t.request('POST', `/payer/lessons/${lesson.id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
    const [instruction] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions`);
    return { secret: bank.body.secret as string, instructionId: instruction.id, s };
  }

  const details = async (id: string) => (await t.request('GET', `/admin/settlement-instructions/${id}`)).body;

  it('a receiver that fails three times then succeeds gets the instruction after four recorded attempts, same webhook-id', async () => {
    const r = await receiver((n) => ({ status: n <= 3 ? 500 : 200 }));
    try {
      const { instructionId } = await releaseOneLesson(r.url, r.setSecret);
      const done = await eventually(async () => {
        const d = await details(instructionId);
        return d.state === 'acknowledged' ? d : null;
      });
      expect(done.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 500, 200]);
      expect(done.attempts.every((a: { latency_ms: number }) => a.latency_ms >= 0)).toBe(true);
      expect(r.received).toHaveLength(4);
      expect(new Set(r.received.map((x) => x.id))).toEqual(new Set([instructionId]));
      expect(r.received.every((x) => x.verified)).toBe(true);
      expect(r.received[0].body).toMatchObject({ instructionId, kind: 'release', amount: '100.00', sequence: 1 });
      expect(done.sequence).toBe('1');
    } finally {
      await r.close();
    }
  });

  it('410 disables the endpoint and alerts; enabling redelivers', async () => {
    let gone = true;
    const r = await receiver(() => ({ status: gone ? 410 : 200 }));
    try {
      const { instructionId, s } = await releaseOneLesson(r.url, r.setSecret);
      await eventually(async () => (await t.db.query(`SELECT 1 FROM banks WHERE code = 'ICBC-SH' AND disabled_at IS NOT NULL`)).length === 1);
      expect((await details(instructionId)).state).toBe('queued');
      const events = (await t.request('GET', `/supervision-events?type=BANK_ENDPOINT_DISABLED`, { key: s.r1 })).body.items;
      expect(events).toHaveLength(1);
      gone = false;
      expect((await t.request('POST', '/admin/banks/ICBC-SH/enable')).body).toMatchObject({ enabled: true, redelivering: 1 });
      await eventually(async () => (await details(instructionId)).state === 'acknowledged');
      expect(r.received.map((x) => x.id)).toEqual([instructionId, instructionId]);
    } finally {
      await r.close();
    }
  });

  it('dead-letters after the last attempt; an admin redelivers; 429 honours Retry-After', async () => {
    let mode: 'down' | 'limited' | 'up' = 'down';
    const r = await receiver(() => (mode === 'down' ? { status: 503 } : mode === 'limited' ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    try {
      const { instructionId } = await releaseOneLesson(r.url, r.setSecret);
      await eventually(async () => (await details(instructionId)).dead_lettered_at !== null);
      // The first delivery and one retry per configured delay (0,100,100,100): five attempts.
      expect((await details(instructionId)).attempts).toHaveLength(5);
      const dead = (await t.request('GET', '/admin/settlement-instructions?deadLettered=true')).body;
      expect(dead.map((d: { id: string }) => d.id)).toEqual([instructionId]);
      mode = 'limited';
      const before = r.received.length;
      await t.request('POST', `/admin/settlement-instructions/${instructionId}/redeliver`);
      await eventually(async () => r.received.length === before + 1);
      mode = 'up';
      await eventually(async () => (await details(instructionId)).state === 'acknowledged', 20000);
      const gap = r.received[before + 1].at - r.received[before].at;
      expect(gap).toBeGreaterThanOrEqual(900);
    } finally {
      await r.close();
    }
  });
});

describe('bank callbacks (settlement results)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
  });
  afterAll(() => t.close());

  it('executed posts the settlement once; failed and mismatching results raise exceptions; replays and forgeries change nothing', async () => {
    const r = await receiver(() => ({ status: 200 }));
    try {
      const bank = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: r.url } });
      r.setSecret(bank.body.secret);
      t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
      const s = await school(t);
      // A release is sent only with an account to pay to (without one it waits: movement-payee.spec).
      await t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' } });
      const c = await s.contract(2, '200.00');
      t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
      const lessons = (
        await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
          key: s.instKey,
          body: { sessionKey: 'cb1', courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: 'T', location: 'R', attendees: [c.id] },
        })
      ).body.lessons;
      await t.request('POST', `/payer/lessons/${lessons[0].id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
      const [instruction] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions`);
      await eventually(async () => (await t.db.query(`SELECT 1 FROM settlement_instructions WHERE state = 'acknowledged'`)).length === 1);

      const bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
      let n = 0;
      const report = (body: Record<string, unknown>, opts: { id?: string; secret?: string; key?: string } = {}) => {
        const payload = JSON.stringify({ instructionId: instruction.id, currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, ...body });
        const id = opts.id ?? `res-${++n}`;
        const at = new Date();
        return t.request('POST', '/bank/settlement-results', {
          key: opts.key ?? bankKey,
          rawBody: payload,
          headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(opts.secret ?? bank.body.secret).sign(id, at, payload) },
        });
      };

      const forged = await report({ status: 'executed', amount: '100.00', bankTransactionId: 'B1' }, { secret: `whsec_${Buffer.from('f'.repeat(32)).toString('base64')}` });
      expect(forged.status).toBe(401);
      const unknown = await report({ status: 'executed', amount: '100.00', instructionId: '00000000-0000-4000-8000-000000000000' });
      expect(unknown.status).toBe(404);
      // Another bank, correctly signed with its own secret, does not learn that the instruction exists: 404, nothing recorded.
      const boc = await t.request('POST', '/admin/banks', { body: { code: 'BOC-SH', name: 'BOC' } });
      const bocKey = await t.createKey({ role: 'bank', bankCode: 'BOC-SH' });
      const foreign = await report({ status: 'executed', amount: '100.00', bankTransactionId: 'B1' }, { key: bocKey, secret: boc.body.secret });
      expect(foreign.status).toBe(404);
      expect(foreign.body.error.code).toBe('SETTLEMENT_INSTRUCTION_NOT_FOUND');
      expect(await t.db.query(`SELECT 1 FROM bank_webhook_receipts WHERE bank_code = 'BOC-SH'`)).toEqual([]);
      expect(await t.db.query(`SELECT state FROM settlement_instructions WHERE id = $1`, [instruction.id])).toEqual([{ state: 'acknowledged' }]);
      const mismatch = await report({ status: 'executed', amount: '99.99', bankTransactionId: 'B1' });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.error.code).toBe('SETTLEMENT_MISMATCH');
      expect(await t.db.query(`SELECT type FROM escrow_exceptions WHERE type = 'SETTLEMENT_RESULT_MISMATCH'`)).toHaveLength(1);

      const executed = await report({ status: 'executed', amount: '100.00', bankTransactionId: 'B1' }, { id: 'res-exec' });
      expect(executed.status).toBe(201);
      expect(executed.body).toMatchObject({ state: 'executed' });
      const replay = await report({ status: 'executed', amount: '100.00', bankTransactionId: 'B1' }, { id: 'res-exec' });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(executed.body);
      const again = await report({ status: 'executed', amount: '100.00', bankTransactionId: 'B1' });
      expect(again.body.state).toBe('executed');
      expect(await t.db.query(`SELECT 1 FROM ledger_transactions WHERE type = 'settlement'`)).toHaveLength(1);
      const late = await report({ status: 'failed', amount: '100.00', reasonCode: 'AC04' });
      expect(late.status).toBe(409);

      const balances = (await t.request('GET', `/ledger/institutions/${s.inst.id}/balance`, { key: s.r1 })).body;
      expect(balances).toMatchObject({ held: '100.00', unsettled: '0.00', settled: '100.00' });
      const audit = (await t.request('GET', `/audit/institutions/${s.inst.id}`, { key: s.r1 })).body.institutions[0];
      expect(audit).toMatchObject({ obligations: '100.00', paidIn: '200.00', released: '100.00', bankCash: '100.00', coverage: '1.0000' });

      // A second lesson whose transfer fails at the bank: the money stays owed to the institution.
      await t.request('POST', `/payer/lessons/${lessons[0].id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
      const l2 = (
        await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
          key: s.instKey,
          body: { sessionKey: 'cb2', courseId: s.course.id, startsAt: '2026-12-05T03:00:00Z', endsAt: '2026-12-05T04:00:00Z', teacher: 'T', location: 'R', attendees: [c.id] },
        })
      ).body.lessons[0];
      await t.request('POST', `/payer/lessons/${l2.id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
      const [second] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions WHERE id <> $1`, [instruction.id]);
      const failed = await report({ instructionId: second.id, status: 'failed', amount: '100.00', reasonCode: 'AC04' });
      expect(failed.body).toMatchObject({ state: 'failed', reasonCode: 'AC04' });
      expect(await t.db.query(`SELECT 1 FROM escrow_exceptions WHERE type = 'SETTLEMENT_FAILED'`)).toHaveLength(1);
      expect((await t.request('GET', `/ledger/institutions/${s.inst.id}/balance`, { key: s.r1 })).body).toMatchObject({ unsettled: '100.00', settled: '100.00' });
    } finally {
      await r.close();
    }
  });
});

describe('settlement delivery survives a killed worker', () => {
  it('a worker killed mid-delivery and restarted delivers with the same webhook-id; rotated secrets both sign', async () => {
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    let hold = true;
    const pending: (() => void)[] = [];
    const received: { id: string; signatures: number; verifiedOld: boolean; verifiedNew: boolean }[] = [];
    let oldSecret = '';
    let newSecret = '';
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const verify = (s: string) => {
          try {
            new Webhook(s).verify(raw, req.headers as Record<string, string>);
            return true;
          } catch {
            return false;
          }
        };
        received.push({ id: String(req.headers['webhook-id']), signatures: String(req.headers['webhook-signature']).split(' ').length, verifiedOld: verify(oldSecret), verifiedNew: verify(newSecret) });
        if (hold) pending.push(() => res.writeHead(200).end('{}'));
        else res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const workerEnv = {
      ...Object.fromEntries(Object.entries(t.env).filter(([k]) => !['PROCESS_ROLE', 'LOG_LEVEL'].includes(k))),
      PROCESS_ROLE: 'worker',
      LOG_LEVEL: 'warn',
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
      SETTLEMENT_TIMEOUT_MS: '60000',
    };
    const first = spawnService(workerEnv);
    let second: ReturnType<typeof spawnService> | undefined;
    try {
      oldSecret = (await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: url } })).body.secret;
      newSecret = (await t.request('POST', '/admin/banks/ICBC-SH/secrets')).body.secret;
      t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
      const s = await school(t);
      // A release is sent only with an account to pay to (without one it waits: movement-payee.spec).
      await t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' } });
      const c = await s.contract(2, '200.00');
      t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
      const lesson = (
        await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
          key: s.instKey,
          body: { sessionKey: 'k1', courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: 'T', location: 'R', attendees: [c.id] },
        })
      ).body.lessons[0];
      await t.request('POST', `/payer/lessons/${lesson.id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
      const [instruction] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions`);
      await first.ready;
      await eventually(async () => received.length === 1, 30000, 50);
      first.child.kill('SIGKILL'); // mid-delivery: the bank got it, we never recorded the answer
      await first.exited;
      hold = false;
      second = spawnService(workerEnv);
      await second.ready;
      await eventually(async () => (await t.db.query(`SELECT 1 FROM settlement_instructions WHERE state = 'acknowledged'`)).length === 1, 60000, 200);
      expect(received.map((r) => r.id)).toEqual([instruction.id, instruction.id]);
      expect(received.every((r) => r.signatures === 2 && r.verifiedOld && r.verifiedNew)).toBe(true);
    } finally {
      first.child.kill('SIGKILL');
      pending.forEach((f) => f());
      second?.child.kill('SIGTERM');
      await second?.exited;
      await new Promise((r) => server.close(r));
      await t.close();
    }
  });
});
