import { startTestApp, TestApp, TestResponse } from '../support/test-app';

/**
 * RATE_LIMIT_PER_MINUTE holds for a key across processes (issue 12, item 5): two real app
 * instances on one database share the counter, so together they admit no more than the limit,
 * and every refusal is a 429 RATE_LIMITED in the documented shape with Retry-After.
 */
describe('rate limiting across processes', () => {
  const LIMIT = 20;
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    one = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
    two = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) }, db: one.db });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
  });

  const ask = (app: TestApp, key: string) => app.request('GET', '/institutions', { key });
  const expectRateLimited = (res: TestResponse) => {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(res.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String), details: { retryAfterSeconds: retryAfter } }, requestId: expect.any(String) });
    expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
    return retryAfter;
  };

  it('two instances taking turns with one key admit the limit once, not once each', async () => {
    const key = await one.createKey({ role: 'regulator', districts: ['310117'] });
    const statuses: Record<'one' | 'two', number[]> = { one: [], two: [] };
    for (let i = 0; i < LIMIT + 10; i++) {
      const [name, app] = i % 2 === 0 ? (['one', one] as const) : (['two', two] as const);
      const res = await ask(app, key);
      statuses[name].push(res.status);
      if (res.status === 429) expectRateLimited(res);
    }
    // With a per-process limit each instance would admit its own 20 (all 30 requests would pass).
    expect(statuses.one).toEqual([...Array(LIMIT / 2).fill(200), ...Array(5).fill(429)]);
    expect(statuses.two).toEqual([...Array(LIMIT / 2).fill(200), ...Array(5).fill(429)]);
    // Another key has its own window.
    expect((await ask(two, await one.createKey({ role: 'regulator', districts: ['310117'] }))).status).toBe(200);
  });

  it('all at once on both instances: exactly the limit is admitted, the rest told when to come back', async () => {
    const key = await one.createKey({ role: 'regulator', districts: ['310117'], name: 'burst key' });
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => ask(i % 2 ? one : two, key)));
    const ok = results.filter((r) => r.status === 200);
    expect(results.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
    expect(ok).toHaveLength(LIMIT);
    const waits = results.filter((r) => r.status === 429).map(expectRateLimited);
    expect(waits).toHaveLength(80 - LIMIT);
    // Both instances count the same window: their Retry-After differ by at most the test's own duration.
    expect(Math.max(...waits) - Math.min(...waits)).toBeLessThanOrEqual(2);
    // The shared counter saw the limit plus at most one refused claim per instance: once an
    // instance learns the window is used up, it refuses without asking the database again.
    const [row] = await one.db.query<{ count: string }>(`SELECT r.count::text FROM rate_limits r JOIN api_keys k ON k.id::text = r.limit_key WHERE k.name = 'burst key'`);
    expect(Number(row.count)).toBeGreaterThanOrEqual(LIMIT);
    expect(Number(row.count)).toBeLessThanOrEqual(LIMIT + 2);
  });
});
