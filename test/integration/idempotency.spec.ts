import { startTestApp, TestApp } from '../support/test-app';

describe('Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
  });
  afterAll(() => t.close());

  const countProbes = async () => Number((await t.db.query<{ n: string }>('SELECT count(*)::text AS n FROM queue_probes'))[0].n);

  it('replays the stored response with Idempotent-Replayed: true', async () => {
    const before = await countProbes();
    const first = await t.request('POST', '/admin/diagnostics/queue-probes', { body: { holdMs: 1 }, headers: { 'idempotency-key': 'replay-1' } });
    const second = await t.request('POST', '/admin/diagnostics/queue-probes', { body: { holdMs: 1 }, headers: { 'idempotency-key': 'replay-1' } });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await countProbes()).toBe(before + 1);
  });

  it('422 IDEMPOTENCY_KEY_REUSED when the same key comes with another request', async () => {
    await t.request('POST', '/admin/diagnostics/queue-probes', { body: { holdMs: 1 }, headers: { 'idempotency-key': 'reuse-1' } });
    const res = await t.request('POST', '/admin/diagnostics/queue-probes', { body: { holdMs: 2 }, headers: { 'idempotency-key': 'reuse-1' } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('two (and ten) concurrent requests with one key give one effect', async () => {
    const before = await countProbes();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.request('POST', '/admin/diagnostics/queue-probes', { body: { holdMs: 0 }, headers: { 'idempotency-key': 'race-1' } }),
      ),
    );
    expect(await countProbes()).toBe(before + 1);
    const statuses = results.map((r) => r.status);
    for (const s of statuses) expect([201, 409]).toContain(s);
    const created = results.filter((r) => r.status === 201);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
  });

  it('keys are per caller: another key may use the same Idempotency-Key', async () => {
    const otherAdmin = await t.createKey({ role: 'admin' });
    const a = await t.request('POST', '/admin/diagnostics/queue-probes', { body: {}, headers: { 'idempotency-key': 'shared' } });
    const b = await t.request('POST', '/admin/diagnostics/queue-probes', { key: otherAdmin, body: {}, headers: { 'idempotency-key': 'shared' } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('replays a 4xx answer too, and never stores a secret', async () => {
    const bad1 = await t.request('POST', '/admin/api-keys', { body: { name: 'r', role: 'regulator', districts: [] }, headers: { 'idempotency-key': 'bad-1' } });
    const bad2 = await t.request('POST', '/admin/api-keys', { body: { name: 'r', role: 'regulator', districts: [] }, headers: { 'idempotency-key': 'bad-1' } });
    expect(bad1.status).toBe(400);
    expect(bad2.status).toBe(400);
    expect(bad2.headers.get('idempotent-replayed')).toBe('true');

    const created = await t.request('POST', '/admin/api-keys', { body: { name: 'k', role: 'admin' }, headers: { 'idempotency-key': 'secret-1' } });
    expect(created.body.apiKey).toMatch(/^esk_/);
    const stored = await t.db.query<{ body: string }>(`SELECT response_body::text AS body FROM idempotency_keys WHERE idem_key = 'secret-1'`);
    expect(stored[0].body).not.toContain(created.body.apiKey);
  });

  it('400 for an unusable key', async () => {
    const res = await t.request('POST', '/admin/diagnostics/queue-probes', { body: {}, headers: { 'idempotency-key': 'x'.repeat(300) } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_IDEMPOTENCY_KEY');
  });

  it('keys expire after their lifetime and the clean-up job removes them', async () => {
    await t.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idem_key = 'replay-1'`);
    const { IdempotencyCleanupJob } = await import('@common/idempotency/idempotency-cleanup.job');
    const result = await t.app.get(IdempotencyCleanupJob).handle();
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    const left = await t.db.query(`SELECT 1 FROM idempotency_keys WHERE idem_key = 'replay-1'`);
    expect(left).toHaveLength(0);
    const live = await t.db.query<{ ttl: string }>(
      `SELECT extract(epoch FROM expires_at - created_at)::int::text AS ttl FROM idempotency_keys WHERE idem_key = 'reuse-1'`,
    );
    expect(Number(live[0].ttl)).toBeGreaterThanOrEqual(7 * 24 * 3600);
  });
});
