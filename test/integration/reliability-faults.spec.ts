import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { LIVENESS_LOCK_CLASS } from '@infra/database/process-liveness.service';
import { QueueName } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { BankReceiver } from '../support/faults/bank-receiver';
import { MoneyTraffic, Outcome } from '../support/faults/money-traffic';
import { PrivatePostgres, startPrivatePostgres } from '../support/faults/private-postgres';
import { redisServerUnavailable, startPrivateRedis } from '../support/faults/private-redis';
import { expectEachDeliveredOnce, lessonsToConfirm, moneyScene } from '../support/faults/scenes';
import { invariantViolations } from '../support/invariants';
import { spawnService, SpawnedService } from '../support/spawn-service';
import { eventually, startTestApp, TEST_BANK_SECRET_KEYS } from '../support/test-app';
import { TestDatabase } from '../support/test-db';

/**
 * Faults the service must survive without anyone restarting it: its PostgreSQL restarted under
 * money traffic, its Redis restarted (losing every queued job) while deliveries wait, and the
 * network to the bank cut and restored. (SIGKILL of API and worker processes is covered by
 * outbox-queues.spec.ts, settlement-delivery.spec.ts and idempotency-crash.spec.ts.)
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `eventually`, naming what did not happen. */
const within = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms: number): Promise<T> =>
  eventually(fn, ms, 50).catch((err: Error) => {
    throw new Error(`waited for ${what}: ${err.message}`);
  });
describe('PostgreSQL restarted under money traffic', () => {
  let pg: PrivatePostgres;
  let db: TestDatabase;
  let receiver: BankReceiver;
  let service: SpawnedService | undefined;
  let stopTraffic: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    db = await pg.createDatabase(`fault_${randomBytes(4).toString('hex')}`);
    receiver = await BankReceiver.start();
  });
  afterAll(async () => {
    await stopTraffic();
    service?.child.kill('SIGKILL');
    await receiver?.close();
    await pg?.stop();
  });

  it('the running service recovers on its own, and every success it answered is committed exactly once', async () => {
    const setup = await startTestApp({ db, env: { PROCESS_ROLE: 'api' } });
    let scene: Awaited<ReturnType<typeof moneyScene>>;
    try {
      scene = await moneyScene(setup, receiver, { funded: 9, unfunded: 4, lessons: 40 });
    } finally {
      await setup.close();
    }
    const { s, funded: all, unfunded, bankKey, secret } = scene;
    const [held, ...funded] = all;

    service = spawnService({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      BANK_SECRET_KEYS: TEST_BANK_SECRET_KEYS,
      PROCESS_ROLE: 'all',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      QUEUE_PREFIX: `f${randomBytes(4).toString('hex')}`,
      OUTBOX_POLL_MS: '50',
      SCHEDULER_ENABLED: 'false',
      DATABASE_POOL_SIZE: '10',
      SETTLEMENT_RETRY_DELAYS_MS: '0,300,500,1000,1000,1000,2000,2000,2000,2000',
      SETTLEMENT_RETRY_JITTER: '0',
      // A job claimed just as the database went away (the claim committed, its answer was lost) is
      // taken over as stalled once its lock expires: 30 s + 30 s by default, seconds here.
      QUEUE_LOCK_DURATION_MS: '3000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
    });
    const baseUrl = await service.ready;
    const pid = service.child.pid;

    const traffic = new MoneyTraffic({
      baseUrl,
      bank: { key: bankKey, secret, escrowAccountNumber: s.escrow.accountNumber },
      institution: { id: s.inst.id, key: s.instKey, courseId: s.course.id },
      funded,
      unfunded,
    });
    const running = traffic.run(10);
    stopTraffic = () => {
      traffic.stop(0);
      return running;
    };
    await sleep(2500);
    const before = traffic.outcomes.filter((o) => o.status !== null && o.status < 300).length;

    // One request is inside its handler when the database goes: its Idempotency-Key is claimed,
    // its transaction waits on a row lock. It fails with the server; its key must not stay locked.
    const blocker = new Client({ connectionString: db.url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM contracts WHERE id = $1 FOR UPDATE', [held.id]);
    const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const heldBody = JSON.stringify({
      sessionKey: 'held-across-restart',
      courseId: s.course.id,
      startsAt: new Date(Date.now() - 3600_000).toISOString(),
      endsAt: new Date(Date.now() - 600_000).toISOString(),
      teacher: 'T',
      location: 'R',
      attendees: [held.id],
    });
    const heldSession = (): Promise<Response> =>
      fetch(`${baseUrl}/institutions/${s.inst.id}/lesson-sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.instKey}`, 'content-type': 'application/json', 'idempotency-key': 'held-across-restart' },
        body: heldBody,
      });
    const inFlight = heldSession();
    await within('the held request to wait on its lock', async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))`, [blockerPid])).length > 0, 5000);

    const { downAt, upAt } = await pg.restart(1000);
    expect((await inFlight).status).toBeGreaterThanOrEqual(500);
    // It failed while the server was down, so it could not free its key: the key is left in progress.
    expect(await db.query(`SELECT state FROM idempotency_keys WHERE idem_key = 'held-across-restart'`)).toEqual([{ state: 'in_progress' }]);
    void blocker.end().catch(() => undefined);
    // Back within a few seconds, without restarting the service: ready again and serving money requests.
    const ready = await within('/health/ready to answer 200', async () => {
      const res = await fetch(`${baseUrl}/health/ready`).catch(() => null);
      return res?.status === 200 ? Date.now() : null;
    }, 15000);
    const firstSuccess = await within('a money request to succeed', async () => traffic.outcomes.find((o) => o.doneAt && o.doneAt > upAt && o.status! < 300)?.doneAt, 15000);
    // The client retrying the failed request with its key is served at once, not after
    // IDEMPOTENCY_LOCK_SECONDS, also once the service holds its liveness lock again.
    await within('the service to take its liveness lock again', async () => (await db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::oid`, [LIVENESS_LOCK_CLASS])).length > 0, 10000);
    const heldAnswers: number[] = [];
    const retried = await within('the held request to be served again with its key', async () => {
      const res = await heldSession();
      heldAnswers.push(res.status);
      return res.status === 201 ? { at: Date.now(), body: (await res.json()) as { lessons: { id: string }[] } } : null;
    }, 15000).catch((err: Error) => {
      throw new Error(`${err.message}; answers ${JSON.stringify(heldAnswers.slice(-3))} after ${heldAnswers.length} tries`);
    });
    expect((await heldSession()).headers.get('idempotent-replayed')).toBe('true');
    await sleep(2500);
    traffic.stop(20000);
    await running;
    expect(service.child.exitCode).toBeNull();
    expect(service.child.pid).toBe(pid);

    const ok = (kind: Outcome['kind']) => traffic.outcomes.filter((o) => o.kind === kind && o.status !== null && o.status < 300);
    const failedDuringOutage = traffic.outcomes.filter((o) => o.tries.some((x) => typeof x !== 'number' || x >= 500)).length;
    // Every operation got a final answer once the database was back (none gave up).
    expect(traffic.outcomes.filter((o) => o.status === null)).toEqual([]);
    // The only refusal allowed: a session once its contracts have no lessons left (then nothing of it exists).
    const refused = traffic.outcomes.filter((o) => o.status !== null && o.status >= 300);
    expect(refused.filter((o) => o.kind !== 'session' || !['LESSON_BATCH_REJECTED', 'NO_LESSONS_REMAINING'].includes(o.body?.error?.code))).toEqual([]);

    // Credits: each 2xx exists exactly once, and contracts hold exactly what was credited to them.
    const credits = await db.query<{ bank_transaction_id: string; n: number }>(`SELECT bank_transaction_id, count(*)::int AS n FROM bank_credits GROUP BY 1`);
    const creditCount = new Map(credits.map((c) => [c.bank_transaction_id, c.n]));
    for (const o of ok('credit')) expect([o.key, creditCount.get(o.key)]).toEqual([o.key, 1]);
    expect(credits.filter((c) => c.n !== 1)).toEqual([]);
    const paid = await db.query(
      `SELECT c.id, c.amount_paid, coalesce(sum(b.applied), 0) AS applied FROM contracts c LEFT JOIN bank_credits b ON b.contract_id = c.id
        GROUP BY c.id HAVING c.amount_paid <> coalesce(sum(b.applied), 0)`,
    );
    expect(paid).toEqual([]);

    // Sessions: each 2xx exists once with all its lessons; contracts counted each lesson once.
    const sessions = await db.query<{ session_key: string; n: number; lessons: number; ids: string[] }>(
      `SELECT s.session_key, count(DISTINCT s.id)::int AS n, count(l.id)::int AS lessons, array_agg(l.id::text) AS ids
         FROM lesson_sessions s LEFT JOIN lessons l ON l.session_id = s.id GROUP BY s.session_key`,
    );
    const byKey = new Map(sessions.map((x) => [x.session_key, x]));
    for (const o of ok('session')) {
      const row = byKey.get(o.key);
      expect([o.key, row?.n, row?.lessons]).toEqual([o.key, 1, o.body.lessons.length]);
      expect(row!.ids.sort()).toEqual(o.body.lessons.map((l: { id: string }) => l.id).sort());
    }
    expect(byKey.get('held-across-restart')).toMatchObject({ n: 1, lessons: 1, ids: [retried.body.lessons[0].id] });
    for (const o of refused) expect([o.key, byKey.get(o.key)]).toEqual([o.key, undefined]);
    const consumed = await db.query(
      `SELECT c.id FROM contracts c LEFT JOIN lessons l ON l.contract_id = c.id AND l.state <> 'withdrawn'
        GROUP BY c.id HAVING c.lessons_consumed <> count(l.id) OR c.amount_consumed <> coalesce(sum(l.amount), 0)`,
    );
    expect(consumed).toEqual([]);

    // Confirmations: each 2xx lesson is confirmed, released once, with exactly one instruction.
    const confirmed = await db.query<{ id: string; state: string; released: boolean; instructions: number }>(
      `SELECT l.id, l.state, l.released_at IS NOT NULL AS released, count(i.id)::int AS instructions
         FROM lessons l LEFT JOIN settlement_instructions i ON i.source_ref = 'lesson.' || l.id GROUP BY l.id`,
    );
    const lessonRow = new Map(confirmed.map((l) => [l.id, l]));
    for (const o of ok('confirm')) expect(lessonRow.get(o.key)).toEqual({ id: o.key, state: 'confirmed', released: true, instructions: 1 });
    expect(confirmed.filter((l) => l.instructions > 1 || (l.state === 'confirmed') !== l.released)).toEqual([]);
    expect(await invariantViolations(db.url)).toEqual([]);

    // The worker half recovered too: every instruction reached the bank, each once as an effect.
    const instructions = await db.query<{ id: string }>(`SELECT id FROM settlement_instructions`);
    await within('every instruction to be acknowledged', async () => (await db.query(`SELECT 1 FROM settlement_instructions WHERE state <> 'acknowledged'`)).length === 0, 20000).catch(async (err) => {
      const states = await db.query(`SELECT state, count(*)::int AS n FROM settlement_instructions GROUP BY 1`);
      throw new Error(`${String(err)}; instructions by state ${JSON.stringify(states)}; service log:\n${service!.output().slice(-4000)}`);
    });
    const effects = receiver.effectsByInstruction();
    expect(instructions.filter((i) => effects.get(i.id) !== 1)).toEqual([]);
    expect(effects.size).toBe(instructions.length);

    process.stdout.write(
      `[faults] PostgreSQL restart: down ${upAt - downAt} ms; /health/ready 200 ${ready - upAt} ms and first money success ${firstSuccess - upAt} ms after it was back; ` +
        `key of the request cut by the restart served again ${retried.at - upAt} ms after; ${traffic.outcomes.length} operations (${before} succeeded before the restart, ${failedDuringOutage} retried through it), ` +
        `${ok('credit').length} credits, ${ok('session').length} sessions, ${ok('confirm').length} confirmations, ${instructions.length} instructions delivered\n`,
    );
    expect(ready - upAt).toBeLessThan(10000);
    expect(firstSuccess - upAt).toBeLessThan(10000);
  });
});

const noRedis = redisServerUnavailable();
if (noRedis) process.stdout.write(`[faults] SKIPPED: Redis restarted while deliveries are queued (${noRedis})\n`);

(noRedis ? describe.skip : describe)('Redis restarted while deliveries are queued (it keeps nothing on disk)', () => {
  it('loses no instruction and delivers none twice to the bank: the outbox is relayed again', async () => {
    const redis = await startPrivateRedis();
    const receiver = await BankReceiver.start();
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api', REDIS_URL: redis.url } });
    let worker: SpawnedService | undefined;
    try {
      worker = spawnService({
        ...Object.fromEntries(Object.entries(t.env).filter(([k]) => !['PROCESS_ROLE', 'LOG_LEVEL'].includes(k))),
        PROCESS_ROLE: 'worker',
        LOG_LEVEL: 'warn',
        SCHEDULER_ENABLED: 'true',
        SETTLEMENT_RETRY_DELAYS_MS: Array(10).fill('2000').join(','),
        SETTLEMENT_RETRY_JITTER: '0',
        SETTLEMENT_TIMEOUT_MS: '2000',
        QUEUE_LOCK_DURATION_MS: '3000',
        QUEUE_STALLED_INTERVAL_MS: '1000',
      });
      await receiver.setMode('down');
      const { lessons, confirm, bank } = await lessonsToConfirm(t, receiver, 12);
      receiver.onEffect = bank.onEffect;
      await worker.ready;
      const maintenance = () => t.app.get(QueueService).queue(QueueName.Maintenance).getJobSchedulers();
      expect((await maintenance()).length).toBeGreaterThan(0);

      // Eight instructions tried once (the bank refused the connection): their retries wait in Redis.
      await confirm(lessons.slice(0, 8));
      await within('8 refused attempts with a retry due', async () => (await t.db.query(`SELECT 1 FROM settlement_instructions WHERE state = 'sent' AND next_attempt_at > now()`)).length === 8, 15000);

      // Redis restarts empty; four more are instructed while it is down (their outbox rows wait).
      const restart = redis.restart(1000);
      await confirm(lessons.slice(8));
      await restart;
      const upAt = Date.now();
      await receiver.setMode('up');

      await within('every instruction executed at the bank', async () => (await t.db.query(`SELECT 1 FROM settlement_instructions WHERE state = 'executed'`)).length === 12, 20000).catch(async (err: Error) => {
        const states = await t.db.query(`SELECT state, attempts, count(*)::int AS n FROM settlement_instructions GROUP BY 1, 2`);
        throw new Error(`${err.message}; instructions ${JSON.stringify(states)}; worker log:\n${worker!.output().slice(-3000)}`);
      });
      const deliveredMs = Date.now() - upAt;
      await bank.pending();
      await expectEachDeliveredOnce(t, receiver, 12);
      expect(await t.db.query(`SELECT 1 FROM settlement_delivery_attempts WHERE status_code IS NULL`)).not.toHaveLength(0);
      // The repeating jobs came back too.
      expect((await maintenance()).map((s) => s.key ?? s.id).sort()).toEqual(['idempotency-cleanup-daily', 'ledger-day-close', 'outbox-cleanup-daily']);
      expect(worker.child.exitCode).toBeNull();
      const duplicates = receiver.deliveries.filter((d) => !d.effect).length;
      process.stdout.write(`[faults] Redis restart: 12 instructions (8 waiting for a retry, 4 instructed while Redis was down) all executed once ${deliveredMs} ms after Redis was back; ${duplicates} repeated deliveries dropped by the bank\n`);
    } finally {
      worker?.child.kill('SIGKILL');
      await worker?.exited;
      await t.close();
      await receiver.close();
      await redis.stop();
    }
  });
});

describe('the network to the bank cut and restored', () => {
  it('every instruction ends executed exactly once, with the failed attempts recorded', async () => {
    const receiver = await BankReceiver.start();
    const t = await startTestApp({
      env: { SETTLEMENT_RETRY_DELAYS_MS: '300,500,800,1000,1000,1000,1000,1000,1000,1000', SETTLEMENT_RETRY_JITTER: '0', SETTLEMENT_TIMEOUT_MS: '1000', QUEUE_CONCURRENCY: '4' },
    });
    try {
      const { lessons, confirm, bank } = await lessonsToConfirm(t, receiver, 16);
      receiver.onEffect = bank.onEffect;
      receiver.delayMs = 300; // a slow bank: answers are on the wire when the network goes
      const confirming = confirm(lessons);
      await within('the first deliveries', async () => receiver.deliveries.length >= 3, 15000);
      await receiver.setMode('down'); // connections refused, open ones reset
      await sleep(1500);
      await receiver.setMode('blackhole'); // connections accepted, never answered: timeouts
      await sleep(1500);
      await receiver.setMode('up');
      const upAt = Date.now();
      await confirming;
      await within('every instruction executed at the bank', async () => (await t.db.query(`SELECT 1 FROM settlement_instructions WHERE state = 'executed'`)).length === 16, 20000);
      const deliveredMs = Date.now() - upAt;
      await bank.pending();
      await expectEachDeliveredOnce(t, receiver, 16);

      const attempts = await t.db.query<{ error: string | null; status_code: number | null }>(`SELECT error, status_code FROM settlement_delivery_attempts`);
      const refused = attempts.filter((a) => a.status_code === null && !/timeout/i.test(a.error ?? '')).length;
      const timedOut = attempts.filter((a) => /timeout/i.test(a.error ?? '')).length;
      expect(refused).toBeGreaterThan(0);
      expect(timedOut).toBeGreaterThan(0);
      // At most one accepted attempt each (a bank's callback may overtake an answer lost on the wire).
      const accepted = await t.db.query(`SELECT instruction_id FROM settlement_delivery_attempts WHERE status_code BETWEEN 200 AND 299 GROUP BY 1 HAVING count(*) > 1`);
      expect(accepted).toEqual([]);
      const duplicates = receiver.deliveries.filter((d) => !d.effect).length;
      process.stdout.write(
        `[faults] bank network cut: 16 instructions executed once each, ${deliveredMs} ms after the network was back; ${attempts.length} attempts recorded (${refused} refused or reset, ${timedOut} timed out); ${duplicates} repeated deliveries dropped by the bank\n`,
      );
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});
