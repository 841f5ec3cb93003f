import { startTestApp, TestApp } from '../support/test-app';

describe('HTTP platform', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '65536', RATE_LIMIT_PER_MINUTE: '1000' } });
  });
  afterAll(() => t.close());

  it('is ready when database and queue backend answer', async () => {
    const res = await t.request('GET', '/health/ready', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });
    expect((await t.request('GET', '/health/live', { key: null })).status).toBe(200);
  });

  it('echoes a caller request id and generates one otherwise', async () => {
    const given = await t.request('GET', '/admin/api-keys', { key: null, headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(given.body.requestId).toBe('trace-abc.123');
    const generated = await t.request('GET', '/health/live', { key: null, headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('auth matrix', () => {
    it('401 without a key, with a malformed key and with an unknown key', async () => {
      for (const key of [null, 'nonsense', `esk_${'A'.repeat(43)}`]) {
        const res = await t.request('GET', '/admin/api-keys', { key });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
        expect(typeof res.body.requestId).toBe('string');
      }
    });

    it('403 for a valid key of the wrong role', async () => {
      const regulator = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const res = await t.request('GET', '/admin/api-keys', { key: regulator });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    });

    it('401 once a key is revoked', async () => {
      const bank = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
      const created = await t.request('GET', '/admin/api-keys');
      const id = created.body.find((k: { bankCode: string }) => k.bankCode === 'ICBC-SH').id;
      expect((await t.request('POST', `/admin/api-keys/${id}/revoke`)).status).toBe(200);
      expect((await t.request('GET', '/health/live', { key: bank })).status).toBe(200);
      const res = await t.request('GET', '/admin/api-keys', { key: bank });
      expect(res.status).toBe(401);
    });

    it('stores only a hash of the key', async () => {
      const token = await t.createKey({ role: 'institution', institutionId: '5b0d7c3e-7d2c-4d7a-9f55-0a3b1b2c3d4e' });
      const rows = await t.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM api_keys WHERE key_hash = sha256(convert_to($1, 'UTF8'))`,
        [token],
      );
      expect(rows[0].n).toBe('1');
      const leaked = await t.db.query(`SELECT 1 FROM api_keys WHERE key_prefix = $1 OR name = $1`, [token]);
      expect(leaked).toHaveLength(0);
    });

    it('rejects a key whose scope does not fit its role', async () => {
      const res = await t.request('POST', '/admin/api-keys', { body: { name: 'r', role: 'regulator', districts: [] } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_KEY_SCOPE');
    });
  });

  describe('bad input', () => {
    it('400 MALFORMED_JSON for a broken JSON body', async () => {
      const res = await t.request('POST', '/admin/api-keys', { rawBody: '{"name": "x",' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('MALFORMED_JSON');
    });

    it('413 PAYLOAD_TOO_LARGE beyond the body limit', async () => {
      const res = await t.request('POST', '/admin/api-keys', { body: { name: 'x'.repeat(70000), role: 'admin' } });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('400 for unknown fields and wrong types, naming them', async () => {
      const unknown = await t.request('POST', '/admin/api-keys', { body: { name: 'x', role: 'admin', isSuper: true } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(unknown.body.error.details)).toContain('isSuper');
      const wrongType = await t.request('POST', '/admin/api-keys', { body: { name: 42, role: 'admin' } });
      expect(wrongType.status).toBe(400);
      expect(JSON.stringify(wrongType.body.error.details)).toContain('name');
    });

    it('leaves nothing behind when validation fails', async () => {
      const before = await t.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM api_keys`);
      await t.request('POST', '/admin/api-keys', { body: { name: 'x', role: 'regulator', districts: ['31011'] } });
      const after = await t.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM api_keys`);
      expect(after[0].n).toBe(before[0].n);
    });

    it('404 in the standard error shape for an unknown route', async () => {
      const res = await t.request('GET', '/no/such/route');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });
  });

  it('limits requests per key with 429 and Retry-After', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await limited.request('GET', '/admin/api-keys');
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it('publishes OpenAPI 3 with auth, schemas and error codes', async () => {
    const res = await t.request('GET', '/openapi.json', { key: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/admin/api-keys', '/admin/api-keys/{id}/revoke', '/health/ready', '/metrics']),
    );
    const create = res.body.paths['/admin/api-keys'].post;
    expect(create.security).toEqual([{ 'api-key': [] }]);
    expect(create.responses['401']).toBeDefined();
    expect(create.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    expect((await t.request('GET', '/docs', { key: null })).status).toBe(200);
  });

  it('exposes Prometheus metrics: HTTP latency by route and status, queue depths', async () => {
    await t.request('GET', '/health/live', { key: null });
    const res = await t.request('GET', '/metrics', { key: null });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/health\/live".*status="200"/);
    expect(res.text).toMatch(/queue_jobs\{queue="maintenance",state="waiting"\}/);
    expect(res.text).toContain('queue_job_failures_total');
  });
});
