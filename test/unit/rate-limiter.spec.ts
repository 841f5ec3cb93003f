import { MemoryRateLimitStore, RateLimiter, RateLimitStore, RateLimitWindow } from '@common/auth/rate-limiter';

/** A store that counts its round trips and answers after a tick, like a database would. */
class CountingStore implements RateLimitStore {
  calls = 0;
  fail = false;
  private readonly inner = new MemoryRateLimitStore();
  async add(key: string, units: number, now: number, windowMs: number): Promise<RateLimitWindow> {
    this.calls += 1;
    await new Promise((r) => setImmediate(r));
    if (this.fail) throw new Error('store down');
    return this.inner.add(key, units, now, windowMs);
  }
}

const admitted = (results: number[]) => results.filter((r) => r === 0).length;

describe('RateLimiter over a shared store', () => {
  it('limiters sharing one store never admit more than the limit together, even all at once', async () => {
    const store = new CountingStore();
    const now = () => 5_000_000;
    const processes = [new RateLimiter(500, 60_000, now, store), new RateLimiter(500, 60_000, now, store), new RateLimiter(500, 60_000, now, store)];
    const results = await Promise.all(Array.from({ length: 1200 }, (_, i) => processes[i % 3].take('key')));
    // Each process may be left holding at most 1 % of the limit (its lease) unused.
    expect(admitted(results)).toBeLessThanOrEqual(500);
    expect(admitted(results)).toBeGreaterThanOrEqual(500 - 3 * 5);
    // ...and every refusal says when the window ends.
    expect(new Set(results.filter((r) => r > 0))).toEqual(new Set([60]));
  });

  it('a small limit is exact: one unit per claim', async () => {
    const store = new CountingStore();
    const [a, b] = [new RateLimiter(20, 60_000, () => 0, store), new RateLimiter(20, 60_000, () => 0, store)];
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).take('k')));
    expect(admitted(results)).toBe(20);
  });

  it('a busy key asks the store once per lease (1 % of the limit), not once per request', async () => {
    const store = new CountingStore();
    const limiter = new RateLimiter(1_000_000, 60_000, () => 0, store);
    for (let i = 0; i < 20_000; i++) expect(await limiter.take('hot')).toBe(0);
    expect(store.calls).toBe(2);
    // Requests arriving during a claim wait for it instead of claiming again.
    const burstStore = new CountingStore();
    const burst = new RateLimiter(1_000_000, 60_000, () => 0, burstStore);
    expect(admitted(await Promise.all(Array.from({ length: 1000 }, () => burst.take('b'))))).toBe(1000);
    expect(burstStore.calls).toBe(1);
  });

  it('starts a new window when the old one ends, whichever process sees it first', async () => {
    let now = 0;
    const store = new CountingStore();
    const [a, b] = [new RateLimiter(2, 60_000, () => now, store), new RateLimiter(2, 60_000, () => now, store)];
    expect([await a.take('k'), await b.take('k'), await a.take('k')]).toEqual([0, 0, 60]);
    now = 59_001;
    expect(await b.take('k')).toBe(1);
    now = 60_000;
    expect([await b.take('k'), await a.take('k'), await a.take('k')]).toEqual([0, 0, 60]);
  });

  it('admits while the store is down (and says so), and counts again once it is back', async () => {
    let now = 0;
    const store = new CountingStore();
    const errors: unknown[] = [];
    const limiter = new RateLimiter(1, 60_000, () => now, store, (e) => errors.push(e));
    expect(await limiter.take('k')).toBe(0);
    expect(await limiter.take('k')).toBe(60);
    store.fail = true;
    now = 60_000;
    expect(await limiter.take('k')).toBe(0);
    expect(errors).toHaveLength(1);
    store.fail = false;
    now = 61_000;
    expect([await limiter.take('k'), await limiter.take('k')]).toEqual([0, 60]);
  });
});
