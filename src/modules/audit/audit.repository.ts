import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * One institution and currency, its figures already summed in SQL (numeric, exact) and written
 * with two decimals; after the institutions, one row per currency with its totals
 * (`institution_id` null, `currency_institutions` the number of rows it sums).
 */
export interface AuditRow {
  institution_id: string | null;
  name: string;
  uscc: string;
  district_code: string;
  /** The currency of the balances on this row: one row per institution and currency. */
  currency: string;
  escrow_account_id: string | null;
  bank_code: string | null;
  account_number: string | null;
  escrow_state: string | null;
  obligations: string;
  paid_in: string;
  released: string;
  refunded: string;
  transferred: string;
  bank_cash: string;
  suspense: string;
  coverage: string | null;
  alerts_info: number;
  alerts_warning: number;
  alerts_critical: number;
  currency_institutions: number | null;
}

/**
 * The audit is a read model: it reads the register's and the ledger's tables in one query
 * (read-only joins, as the architecture allows for read models) and never writes.
 * One aggregation per request, over balances (exact, maintained with every posting) rather
 * than postings: held for undelivered lessons, released (unsettled + settled), refunds,
 * bank cash and suspense per institution and currency. It starts from the ledger's nearest
 * snapshot of balances per institution (a checkpoint: every 5 minutes for two hours, hourly for a
 * week; or a daily close) and adds the postings since (now: about 5 minutes' at most), or for a
 * past moment subtracts the postings between it and a later snapshot when that one is nearer. Amounts of different
 * currencies are never added together.
 */
/**
 * `base`: the snapshot nearest to `asOf` ($3; for now, NULL: the latest), before or after it;
 * `moved`: per account, the postings from the base's end up to `asOf`, or minus those after
 * `asOf` up to a later base's end (a BRIN range either way). A snapshot at T holds every posting
 * created before T, and only those (it is taken once none dated before T can still commit).
 */
const SNAPSHOT_CTES = `
       cands AS (
         (SELECT closes_at, NULL::date AS day FROM ledger_checkpoints WHERE closes_at <= coalesce($3::timestamptz, 'infinity'::timestamptz) ORDER BY closes_at DESC LIMIT 1)
         UNION ALL (SELECT closes_at, day FROM ledger_day_closes WHERE closes_at <= coalesce($3::timestamptz, 'infinity'::timestamptz) ORDER BY day DESC LIMIT 1)
         UNION ALL (SELECT closes_at, NULL FROM ledger_checkpoints WHERE closes_at > $3::timestamptz ORDER BY closes_at LIMIT 1)
         UNION ALL (SELECT closes_at, day FROM ledger_day_closes WHERE closes_at > $3::timestamptz ORDER BY day LIMIT 1)),
       base AS (
         SELECT closes_at, day, closes_at > coalesce($3::timestamptz, 'infinity'::timestamptz) AS after FROM cands
          ORDER BY CASE WHEN $3::timestamptz IS NULL THEN -extract(epoch FROM closes_at) ELSE abs(extract(epoch FROM closes_at - $3::timestamptz)) END,
                   closes_at > coalesce($3::timestamptz, 'infinity'::timestamptz), day NULLS FIRST
          LIMIT 1),
       moved AS MATERIALIZED (
         SELECT account_id, sum(amount) AS amount FROM ledger_postings
          WHERE (SELECT after FROM base) IS NOT TRUE
            AND created_at >= coalesce((SELECT closes_at FROM base), '-infinity'::timestamptz) AND created_at <= coalesce($3::timestamptz, 'infinity'::timestamptz)
          GROUP BY account_id
         UNION ALL
         SELECT account_id, -sum(amount) FROM ledger_postings
          WHERE (SELECT after FROM base) AND created_at > $3::timestamptz AND created_at < (SELECT closes_at FROM base)
          GROUP BY account_id),`;

@Injectable()
export class AuditRepository {
  /** When the latest snapshot (checkpoint or daily close) ended, or null before the first. */
  async lastSnapshotEnd(m: EntityManager): Promise<Date | null> {
    const rows: { closes_at: Date | null }[] = await m.query(
      `SELECT greatest((SELECT max(closes_at) FROM ledger_checkpoints), (SELECT closes_at FROM ledger_day_closes ORDER BY day DESC LIMIT 1)) AS closes_at`,
    );
    return rows[0]?.closes_at ?? null;
  }

  /**
   * `fromSnapshot`: the nearest checkpoint or daily close plus or minus the postings between it
   * and the moment (now or `asOf`), so at most about 5 minutes of postings for now, half an hour's
   * within the week, half a day's for older moments, is summed and no per-contract balance row is read. Otherwise
   * (now, with no recent snapshot) the balance rows are summed. Everything a row shows is summed
   * here in numeric (exact), per institution and per currency (the totals' rows), with the coverage
   * rounded half away from zero to 4 decimals in integer arithmetic, so the service only formats.
   * Runs in the caller's transaction: JIT is turned off for it (the planner's estimate of the
   * per-account probes made it compile the query, ~0.6 s of a 1.2 s city audit).
   */
  /** The caller's transaction becomes read-only: an audit writes nothing, and PostgreSQL holds it to that. */
  async readOnly(m: EntityManager): Promise<void> {
    await m.query(`SET TRANSACTION READ ONLY`);
  }

  async byInstitution(m: EntityManager, patterns: string[] | null, institutionId: string | null, asOf: Date | null, fromSnapshot = asOf !== null): Promise<AuditRow[]> {
    // For this transaction only; and enough memory to group in a hash, not a sort spilling to disk.
    await m.query(`SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`);
    // The audited institutions: a plain subquery (not a CTE) so the planner sees how many.
    const inst = `(SELECT id FROM institutions WHERE ($1::text[] IS NULL OR district_code LIKE ANY($1::text[])) AND ($2::uuid IS NULL OR id = $2::uuid))`;
    // The audit's six figures from rows of (kind, amount on the kind's normal side).
    const figuresOf = (v: string, k: string) =>
      `coalesce(sum(${v}) FILTER (WHERE ${k} IN ('contract_held', 'closure_pool')), 0.00) AS obligations,
       coalesce(sum(${v}) FILTER (WHERE ${k} IN ('institution_unsettled', 'institution_settled')), 0.00) AS released,
       coalesce(sum(${v}) FILTER (WHERE ${k} IN ('refund_payable', 'payer_refunded')), 0.00) AS refunded,
       coalesce(sum(${v}) FILTER (WHERE ${k} IN ('transfer_payable', 'payer_transferred')), 0.00) AS transferred,
       coalesce(sum(${v}) FILTER (WHERE ${k} = 'bank_cash'), 0.00) AS bank_cash,
       coalesce(sum(${v}) FILTER (WHERE ${k} = 'suspense'), 0.00) AS suspense`;
    const six = ['obligations', 'released', 'refunded', 'transferred', 'bank_cash', 'suspense'];
    const fig = fromSnapshot
      ? `snap AS (
           SELECT institution_id, currency, contract_held + closure_pool AS obligations, institution_unsettled + institution_settled AS released,
                  refund_payable + payer_refunded AS refunded, transfer_payable + payer_transferred AS transferred, bank_cash, suspense
             FROM ledger_checkpoint_balances
            WHERE closes_at = (SELECT closes_at FROM base WHERE day IS NULL) AND institution_id IN ${inst}
           UNION ALL
           SELECT institution_id, currency, ${figuresOf('balance', 'account_type')}
             FROM ledger_day_balances
            WHERE day = (SELECT day FROM base) AND institution_id IN ${inst}
            GROUP BY 1, 2),
         mv AS (
           SELECT a.institution_id, a.currency, ${figuresOf(`m.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END`, 'a.type')}
             FROM moved m
             -- One primary-key probe per account moved (OFFSET 0 keeps the planner from hashing every account).
             CROSS JOIN LATERAL (SELECT institution_id, type, currency, normal_side FROM ledger_accounts WHERE id = m.account_id OFFSET 0) a
            WHERE a.institution_id IN ${inst}
            GROUP BY 1, 2),
         fig AS (
           SELECT coalesce(s.institution_id, v.institution_id) AS institution_id, coalesce(s.currency, v.currency) AS currency,
                  ${six.map((f) => `coalesce(s.${f}, 0.00) + coalesce(v.${f}, 0.00) AS ${f}`).join(', ')}
             FROM snap s FULL JOIN mv v ON v.institution_id = s.institution_id AND v.currency = s.currency),`
      : `fig AS (
           SELECT institution_id, currency, ${figuresOf('balance', 'account_type')}
             FROM ledger_balances WHERE institution_id IN ${inst} GROUP BY 1, 2),`;
    // The sums keep the balances' two decimals (zero is written 0.00), and the coverage: bank cash /
    // obligations rounded half away from zero to 4 decimals, exactly (integer division).
    const figures = (x: string) =>
      `${x}.obligations, ${x}.obligations + ${x}.released + ${x}.refunded + ${x}.transferred AS paid_in, ${x}.released, ${x}.refunded,
       ${x}.transferred, ${x}.bank_cash, ${x}.suspense,
       CASE WHEN ${x}.obligations = 0 THEN NULL
            WHEN ${x}.obligations > 0 AND ${x}.bank_cash >= 0 THEN div(${x}.bank_cash * 20000 + ${x}.obligations, ${x}.obligations * 2) * 0.0001
            ELSE sign(${x}.bank_cash) * sign(${x}.obligations) * div(abs(${x}.bank_cash) * 20000 + abs(${x}.obligations), abs(${x}.obligations) * 2) * 0.0001 END AS coverage`;
    return m.query(
      `WITH ${fromSnapshot ? SNAPSHOT_CTES : ''}
       ${fig}
       alerted AS (
         SELECT institution_id, count(*) FILTER (WHERE severity = 'info')::int AS info, count(*) FILTER (WHERE severity = 'warning')::int AS warning,
                count(*) FILTER (WHERE severity = 'critical')::int AS critical
           FROM alerts WHERE state <> 'resolved' AND institution_id IN ${inst} GROUP BY 1),
       rows AS (
         SELECT i.id AS institution_id, i.name, i.uscc, i.district_code, coalesce(f.currency, e.currency, 'CNY') AS currency,
                e.id AS escrow_account_id, e.bank_code, e.account_number, e.state AS escrow_state,
                coalesce(f.obligations, 0.00) AS obligations, coalesce(f.released, 0.00) AS released, coalesce(f.refunded, 0.00) AS refunded,
                coalesce(f.transferred, 0.00) AS transferred, coalesce(f.bank_cash, 0.00) AS bank_cash, coalesce(f.suspense, 0.00) AS suspense,
                coalesce(al.info, 0) AS alerts_info, coalesce(al.warning, 0) AS alerts_warning, coalesce(al.critical, 0) AS alerts_critical
           FROM institutions i
           LEFT JOIN fig f ON f.institution_id = i.id
           LEFT JOIN escrow_accounts e ON e.institution_id = i.id AND e.state <> 'closed'
           LEFT JOIN alerted al ON al.institution_id = i.id
          WHERE i.id IN ${inst}),
       tot AS (
         SELECT currency, count(*)::int AS n, sum(obligations) AS obligations, sum(released) AS released, sum(refunded) AS refunded,
                sum(transferred) AS transferred, sum(bank_cash) AS bank_cash, sum(suspense) AS suspense
           FROM rows GROUP BY currency)
       -- The institutions' rows, then one row per currency with its totals (no institution id).
       SELECT 0 AS part, r.institution_id, r.name, r.uscc, r.district_code, r.currency, r.escrow_account_id, r.bank_code, r.account_number, r.escrow_state,
              ${figures('r')}, r.alerts_info, r.alerts_warning, r.alerts_critical, NULL::int AS currency_institutions
         FROM rows r
       UNION ALL
       SELECT 1, NULL, NULL, NULL, NULL, t.currency, NULL, NULL, NULL, NULL, ${figures('t')}, 0, 0, 0, t.n FROM tot t
        ORDER BY part, district_code, name, institution_id, currency`,
      fromSnapshot ? [patterns, institutionId, asOf] : [patterns, institutionId],
    );
  }
}
