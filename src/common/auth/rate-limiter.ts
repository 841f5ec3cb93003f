import type { DataSource } from 'typeorm';
import { RateLimitsRepository } from './rate-limits.repository';

/** A key's current window in the shared store: when it started and how many units were claimed in it. */
export interface RateLimitWindow {
  windowStart: number;
  count: number;
}

/** Where the counters of every process meet (PostgreSQL in the service; memory in unit tests). */
export interface RateLimitStore {
  /** Adds `units` to the key's window, first starting a new one at `now` if it ended; returns it after the addition. */
  add(key: string, units: number, now: number, windowMs: number): Promise<RateLimitWindow>;
}

/** The same rule as `RateLimitsRepository`, in this process's memory. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, RateLimitWindow>();

  add(key: string, units: number, now: number, windowMs: number): Promise<RateLimitWindow> {
    const w = this.windows.get(key);
    const next = !w || w.windowStart + windowMs <= now ? { windowStart: now, count: units } : { windowStart: w.windowStart, count: w.count + units };
    this.windows.set(key, next);
    return Promise.resolve({ ...next });
  }
}

interface KeyState {
  windowEnd: number;
  /** Requests this process may still admit in the window without asking the store. */
  allowance: number;
  /** The store refused part of a claim: the window is used up for everyone until `windowEnd`. */
  exhausted: boolean;
  claiming: Promise<void> | null;
}

/**
 * Per-key fixed-window limiter (the window starts with a key's first request) shared by every
 * process through a store. A process does not ask the store for each request: it claims a lease
 * of 1 % of the limit in one statement and admits that many requests from memory; requests that
 * arrive while a claim is in flight wait for it. Every unit is counted in the store before it is
 * used, so all processes together never admit more than the limit; a process may hold at most one
 * unused lease when the window runs out, so a client spread over N processes may be refused up
 * to N % early. A key costs at most 100 statements per window (one per lease) plus one refused
 * claim per process; a limit under 200 is exact, one statement a request. When the store fails
 * the request is admitted (fail open: the limiter must not turn a database hiccup into
 * refusals), and the store is asked again a second later.
 */
export class RateLimiter {
  private readonly states = new Map<string, KeyState>();
  private readonly lease: number;

  constructor(
    private readonly limitPerWindow: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly store: RateLimitStore = new MemoryRateLimitStore(),
    private readonly onStoreError: (err: unknown) => void = () => undefined,
  ) {
    this.lease = Math.max(1, Math.floor(limitPerWindow / 100));
  }

  /** RATE_LIMIT_PER_MINUTE for all processes on one database, counted in PostgreSQL. */
  static shared(ds: DataSource, limitPerMinute: number, onStoreError?: (err: unknown) => void): RateLimiter {
    return new RateLimiter(limitPerMinute, 60_000, Date.now, new RateLimitsRepository(ds), onStoreError);
  }

  /** Resolves 0 when allowed, otherwise the seconds to wait (to the end of the key's window). */
  async take(key: string): Promise<number> {
    for (;;) {
      const t = this.now();
      let s = this.states.get(key);
      if (!s || (t >= s.windowEnd && !s.claiming)) {
        s = { windowEnd: 0, allowance: 0, exhausted: false, claiming: null };
        this.states.set(key, s);
        if (this.states.size > 100_000) this.evict(t);
      }
      if (t < s.windowEnd) {
        if (s.allowance > 0) {
          s.allowance -= 1;
          return 0;
        }
        if (s.exhausted) return Math.max(1, Math.ceil((s.windowEnd - t) / 1000));
      }
      await (s.claiming ??= this.claim(key, s));
    }
  }

  private async claim(key: string, s: KeyState): Promise<void> {
    const units = this.lease;
    try {
      const w = await this.store.add(key, units, this.now(), this.windowMs);
      const windowEnd = w.windowStart + this.windowMs;
      if (windowEnd !== s.windowEnd) Object.assign(s, { windowEnd, allowance: 0, exhausted: false });
      // What was counted before this claim decides how much of it is ours.
      const granted = Math.max(0, Math.min(units, this.limitPerWindow - (w.count - units)));
      s.allowance += granted;
      if (granted < units) s.exhausted = true;
    } catch (err) {
      this.onStoreError(err);
      Object.assign(s, { windowEnd: this.now() + 1000, allowance: s.allowance + units, exhausted: false });
    } finally {
      s.claiming = null;
    }
  }

  private evict(t: number): void {
    for (const [k, s] of this.states) if (t >= s.windowEnd && !s.claiming) this.states.delete(k);
  }
}
