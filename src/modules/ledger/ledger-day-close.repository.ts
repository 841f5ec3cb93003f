import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ACCOUNT_KINDS } from './chart-of-accounts';

export interface DayCloseRow {
  day: string;
  closes_at: Date;
}

/** What a checkpoint starts from: an earlier checkpoint, a daily close, or (null) the beginning. */
export type CheckpointBase = { kind: 'checkpoint'; closes_at: Date } | { kind: 'day'; day: string; closes_at: Date } | null;

/**
 * The ledger's daily close (end-of-day balances per institution, account type and currency) and
 * its checkpoints (the same balances every 5 minutes and every hour, kept a while). Reads postings,
 * writes only `ledger_day_closes` and `ledger_day_balances` (append-only) and
 * `ledger_checkpoints` / `ledger_checkpoint_balances` (never updated; old ones deleted whole).
 */
@Injectable()
export class LedgerDayCloseRepository {
  /** One closer at a time (transaction-scoped): a day is closed exactly once. */
  async lockCloser(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('ledger_day_close'))`);
  }

  async lastClosed(m: EntityManager): Promise<DayCloseRow | null> {
    const rows: DayCloseRow[] = await m.query(`SELECT day::text AS day, closes_at FROM ledger_day_closes ORDER BY day DESC LIMIT 1`);
    return rows[0] ?? null;
  }

  /** When the first posting was made (by the primary key, not a scan). */
  async firstPostingAt(m: EntityManager): Promise<Date | null> {
    const rows: { created_at: Date }[] = await m.query(`SELECT created_at FROM ledger_postings ORDER BY id LIMIT 1`);
    return rows[0]?.created_at ?? null;
  }

  /**
   * Transactions of this database that began before `at` and are still open. A posting's time is
   * its transaction's start, so while one is open a posting dated before `at` may still commit:
   * the day ending at `at` cannot be closed yet.
   */
  async openTransactionsStartedBefore(m: EntityManager, at: Date): Promise<number> {
    const [{ n }]: { n: number }[] = await m.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start < $1`,
      [at],
    );
    return n;
  }

  /**
   * Closes `day`: its balances are the previous close's plus the postings made from that close's
   * end (or the beginning) up to `closesAt`. Zero balances are not stored (absent means zero).
   */
  async close(m: EntityManager, day: string, closesAt: Date, previous: DayCloseRow | null): Promise<{ postings: string; storedRows: number }> {
    const [row]: { postings: string; storedRows: number }[] = await m.query(
      `WITH moved AS (
         SELECT a.institution_id, a.type AS account_type, a.currency,
                sum(p.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END) AS delta, count(*) AS n
           FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
          WHERE p.created_at < $2 AND ($3::timestamptz IS NULL OR p.created_at >= $3) AND a.institution_id IS NOT NULL
          GROUP BY 1, 2, 3),
       prev AS (SELECT institution_id, account_type, currency, balance FROM ledger_day_balances WHERE day = $4::date),
       next AS (
         SELECT coalesce(m.institution_id, p.institution_id) AS institution_id, coalesce(m.account_type, p.account_type) AS account_type,
                coalesce(m.currency, p.currency) AS currency, coalesce(p.balance, 0) + coalesce(m.delta, 0) AS balance
           FROM moved m FULL JOIN prev p ON p.institution_id = m.institution_id AND p.account_type = m.account_type AND p.currency = m.currency),
       closed AS (
         INSERT INTO ledger_day_closes (day, closes_at, postings, balances)
         SELECT $1::date, $2, coalesce((SELECT sum(n) FROM moved), 0), (SELECT count(*) FROM next WHERE balance <> 0)
         RETURNING postings::text, balances),
       written AS (
         INSERT INTO ledger_day_balances (day, institution_id, account_type, currency, balance)
         SELECT $1::date, institution_id, account_type, currency, balance FROM next WHERE balance <> 0)
       SELECT postings, balances AS "storedRows" FROM closed`,
      [day, closesAt, previous?.closes_at ?? null, previous?.day ?? null],
    );
    return row;
  }
  /** One checkpoint taker at a time (transaction-scoped): each checkpoint is taken exactly once. */
  async lockCheckpointer(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('ledger_checkpoint'))`);
  }

  async lastCheckpointAt(m: EntityManager): Promise<Date | null> {
    const rows: { closes_at: Date }[] = await m.query(`SELECT closes_at FROM ledger_checkpoints ORDER BY closes_at DESC LIMIT 1`);
    return rows[0]?.closes_at ?? null;
  }

  /** The last daily close that ended at or before `at`. */
  async lastClosedBy(m: EntityManager, at: Date): Promise<DayCloseRow | null> {
    const rows: DayCloseRow[] = await m.query(`SELECT day::text AS day, closes_at FROM ledger_day_closes WHERE closes_at <= $1 ORDER BY day DESC LIMIT 1`, [at]);
    return rows[0] ?? null;
  }

  /**
   * The checkpoint at `closesAt`: the base's balances plus the postings made from the base's end
   * (or the beginning) up to `closesAt`, one row per institution and currency with a column per
   * account kind. The postings are summed per account first, then one primary-key probe per
   * account moved for its institution and kind (a few minutes move a small part of the accounts;
   * the planner would otherwise hash all of them). All-zero rows are not stored.
   */
  async checkpoint(m: EntityManager, closesAt: Date, base: CheckpointBase): Promise<{ postings: string; storedRows: number }> {
    const kinds = ACCOUNT_KINDS;
    const pivot = (value: string, kind: string) => kinds.map((k) => `coalesce(sum(${value}) FILTER (WHERE ${kind} = '${k}'), 0) AS ${k}`).join(', ');
    const [row]: { postings: string; storedRows: number }[] = await m.query(
      `WITH per_account AS MATERIALIZED (
         SELECT account_id, sum(amount) AS amount, count(*) AS n FROM ledger_postings
          WHERE created_at < $1 AND created_at >= coalesce($2::timestamptz, '-infinity'::timestamptz)
          GROUP BY account_id),
       moved AS (
         SELECT a.institution_id, a.currency, ${pivot(`x.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END`, 'a.type')}
           FROM per_account x
           CROSS JOIN LATERAL (SELECT institution_id, type, currency, normal_side FROM ledger_accounts WHERE id = x.account_id OFFSET 0) a
          WHERE a.institution_id IS NOT NULL
          GROUP BY 1, 2),
       prev AS (
         SELECT institution_id, currency, ${kinds.join(', ')} FROM ledger_checkpoint_balances WHERE closes_at = $3::timestamptz
         UNION ALL
         SELECT institution_id, currency, ${pivot('balance', 'account_type')} FROM ledger_day_balances WHERE day = $4::date GROUP BY 1, 2),
       next AS (
         SELECT coalesce(m.institution_id, p.institution_id) AS institution_id, coalesce(m.currency, p.currency) AS currency,
                ${kinds.map((k) => `coalesce(p.${k}, 0) + coalesce(m.${k}, 0) AS ${k}`).join(', ')}
           FROM moved m FULL JOIN prev p ON p.institution_id = m.institution_id AND p.currency = m.currency),
       kept AS (SELECT * FROM next WHERE ${kinds.map((k) => `${k} <> 0`).join(' OR ')}),
       taken AS (
         INSERT INTO ledger_checkpoints (closes_at, postings, balances)
         SELECT $1, coalesce((SELECT sum(n) FROM per_account), 0), (SELECT count(*) FROM kept)
         RETURNING postings::text, balances),
       written AS (
         INSERT INTO ledger_checkpoint_balances (closes_at, institution_id, currency, ${kinds.join(', ')})
         SELECT $1, institution_id, currency, ${kinds.join(', ')} FROM kept)
       SELECT postings, balances AS "storedRows" FROM taken`,
      [closesAt, base?.closes_at ?? null, base?.kind === 'checkpoint' ? base.closes_at : null, base?.kind === 'day' ? base.day : null],
    );
    return row;
  }

  /**
   * Deletes the checkpoints out of the plan (derived data; the daily close stays): those that
   * ended before `oldest`, and before `fineFrom` those not on a multiple of `coarseMs`; never the
   * latest one, the next checkpoint's base.
   */
  async pruneCheckpoints(m: EntityManager, oldest: Date, fineFrom: Date, coarseMs: number): Promise<number> {
    const gone: { closes_at: Date }[] = await m.query(
      `SELECT closes_at FROM ledger_checkpoints
        WHERE (closes_at < $1 OR (closes_at < $2 AND (extract(epoch FROM closes_at) * 1000)::bigint % $3 <> 0))
          AND closes_at < (SELECT max(closes_at) FROM ledger_checkpoints)`,
      [oldest, fineFrom, coarseMs],
    );
    if (gone.length === 0) return 0;
    // By the key's first column (one index range per checkpoint), balances first (they reference it).
    const at = gone.map((g) => g.closes_at);
    await m.query(`DELETE FROM ledger_checkpoint_balances WHERE closes_at = ANY($1::timestamptz[])`, [at]);
    await m.query(`DELETE FROM ledger_checkpoints WHERE closes_at = ANY($1::timestamptz[])`, [at]);
    return gone.length;
  }
}
