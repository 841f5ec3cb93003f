import { Client } from 'pg';
import { requestHash } from '@common/idempotency/request-hash';
import { LIVENESS_LOCK_CLASS, ProcessLiveness } from '@infra/database/process-liveness.service';
import { spawnService } from '../support/spawn-service';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * A request that held an Idempotency-Key when its process died must not lock the key out: the
 * claim names the process's liveness lock, and PostgreSQL drops that lock with the connection.
 * A "dead process" here is a real PostgreSQL session holding the lock, terminated the way a
 * killed process's connection ends.
 */
describe('Idempotency-Key after a crash', () => {
  let t: TestApp;
  let principalId: string;
  const path = '/admin/diagnostics/queue-probes';
  const body = { holdMs: 0 };

  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-warmup' } });
    principalId = (await t.db.query<{ principal_id: string }>(`SELECT principal_id FROM idempotency_keys WHERE idem_key = 'crash-warmup'`))[0].principal_id;
  });
  afterAll(() => t.close());

  const claimAs = (key: string, owner: number | null) =>
    t.db.query(
      `INSERT INTO idempotency_keys (principal_id, idem_key, request_method, request_path, request_hash, state, expires_at, owner_instance)
       VALUES ($1, $2, 'POST', $3, $4, 'in_progress', now() + interval '1 day', $5)`,
      [principalId, key, path, requestHash('POST', path, body), owner],
    );

  const deadProcess = async (instance: number) => {
    const c = new Client({ connectionString: t.db.url });
    await c.connect();
    await c.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [LIVENESS_LOCK_CLASS, instance]);
    const [{ pid }] = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    c.on('error', () => undefined);
    return { kill: () => t.db.query('SELECT pg_terminate_backend($1)', [pid]), end: () => c.end().catch(() => undefined) };
  };

  it('the service holds its own liveness lock', async () => {
    const id = t.app.get(ProcessLiveness).liveInstanceId;
    expect(id).not.toBeNull();
    const locks = await t.db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::oid AND objid = $2::oid`, [LIVENESS_LOCK_CLASS, id]);
    expect(locks).toHaveLength(1);
  });

  it('a key held by a live process stays 409; the moment the process dies it is free', async () => {
    const owner = await deadProcess(777001);
    await claimAs('crash-1', 777001);
    const whileAlive = await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-1' } });
    expect(whileAlive.status).toBe(409);
    expect(whileAlive.body.error.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');

    await owner.kill();
    const killedAt = Date.now();
    let after = await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-1' } });
    while (after.status === 409 && Date.now() - killedAt < 5000) {
      await new Promise((r) => setTimeout(r, 50));
      after = await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-1' } });
    }
    const lockedMs = Date.now() - killedAt;
    expect(after.status).toBe(201);
    expect(lockedMs).toBeLessThan(5000);
    // Taken over by the live service: the row now names this process and is completed once.
    const [row] = await t.db.query<{ state: string; owner_instance: number }>(`SELECT state, owner_instance FROM idempotency_keys WHERE idem_key = 'crash-1'`);
    expect(row).toEqual({ state: 'completed', owner_instance: t.app.get(ProcessLiveness).liveInstanceId });
    const replay = await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-1' } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await owner.end();
  });

  it('a fresh claim without an owner id still waits for the lock time (no early take-over)', async () => {
    await claimAs('crash-2', null);
    const res = await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-2' } });
    expect(res.status).toBe(409);
  });

  it('two live requests with one key still never both run', async () => {
    const owner = await deadProcess(777002);
    await claimAs('crash-3', 777002);
    const results = await Promise.all(Array.from({ length: 5 }, () => t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-3' } })));
    expect(results.every((r) => r.status === 409)).toBe(true);
    await owner.kill();
    await owner.end();
    const raced = await Promise.all(Array.from({ length: 5 }, () => t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-3' } })));
    const created = raced.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true');
    expect(created).toHaveLength(1);
    for (const r of raced) expect([201, 409]).toContain(r.status);
  });

  it('a real service process SIGKILLed mid-request frees its key at once (measured)', async () => {
    const svc = spawnService({ ...t.env, PORT: '0', PROCESS_ROLE: 'api', LOG_LEVEL: 'silent' });
    const base = await svc.ready;
    // Hold the request inside the handler: its key is claimed, its insert waits on this lock.
    const blocker = new Client({ connectionString: t.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE queue_probes IN ACCESS EXCLUSIVE MODE');
    const headers = { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json', 'idempotency-key': 'crash-kill' };
    void fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }).catch(() => undefined);
    const claimed = async () => (await t.db.query(`SELECT 1 FROM idempotency_keys WHERE idem_key = 'crash-kill' AND state = 'in_progress'`)).length === 1;
    for (let i = 0; i < 100 && !(await claimed()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await claimed()).toBe(true);

    svc.child.kill('SIGKILL');
    await svc.exited;
    const killedAt = Date.now();
    await blocker.query('ROLLBACK');
    await blocker.end();
    let res = await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-kill' } });
    while (res.status === 409 && Date.now() - killedAt < 10000) {
      await new Promise((r) => setTimeout(r, 50));
      res = await t.request('POST', path, { body, headers: { 'idempotency-key': 'crash-kill' } });
    }
    const lockedMs = Date.now() - killedAt;
    console.log(`idempotency key locked for ${lockedMs} ms after SIGKILL`);
    expect(res.status).toBe(201);
    expect(lockedMs).toBeLessThan(5000);
  });
});
