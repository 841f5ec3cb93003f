import { DataSource } from 'typeorm';
import type { RateLimitStore, RateLimitWindow } from './rate-limiter';

interface WindowRow {
  window_start: string;
  count: string;
}

/**
 * The shared counters of the rate limiter (`rate_limits`, unlogged, one row per key). One
 * statement per claim: it adds `units` to the key's window, or starts a new window at `now` when
 * the current one has ended, and returns the window with its count after the addition. The row
 * lock makes concurrent claims of every process add up exactly.
 */
export class RateLimitsRepository implements RateLimitStore {
  constructor(private readonly ds: DataSource) {}

  async add(key: string, units: number, now: number, windowMs: number): Promise<RateLimitWindow> {
    const rows: WindowRow[] = await this.ds.query(
      `INSERT INTO rate_limits AS r (limit_key, window_start, count) VALUES ($1, $2, $3)
       ON CONFLICT (limit_key) DO UPDATE SET
         window_start = CASE WHEN r.window_start + $4 <= $2 THEN $2 ELSE r.window_start END,
         count        = CASE WHEN r.window_start + $4 <= $2 THEN $3 ELSE r.count + $3 END
       RETURNING window_start::text, count::text`,
      [key, now, units, windowMs],
    );
    return { windowStart: Number(rows[0].window_start), count: Number(rows[0].count) };
  }
}
