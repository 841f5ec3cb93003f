import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-key request counter shared by every process (RATE_LIMIT_PER_MINUTE holds across
 * processes). One row per API key, its window restarted in place, so there is nothing to clean
 * up. UNLOGGED: no WAL on the hot path; a PostgreSQL crash empties it, which only restarts the
 * current minute's count.
 */
export class RateLimits1763857600000 implements MigrationInterface {
  name = 'RateLimits1763857600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE rate_limits (
        limit_key     text PRIMARY KEY,
        window_start  bigint NOT NULL,
        count         bigint NOT NULL CHECK (count >= 0)
      ) WITH (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limits`);
  }
}
