import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface AuditRow {
  institution_id: string;
  name: string;
  uscc: string;
  district_code: string;
  /** The currency of the balances on this row: one row per institution and currency. */
  currency: string;
  escrow_account_id: string | null;
  bank_code: string | null;
  account_number: string | null;
  escrow_state: string | null;
  held: string;
  unsettled: string;
  settled: string;
  refund_payable: string;
  payer_refunded: string;
  bank_cash: string;
  suspense: string;
  transfer_payable: string;
  payer_transferred: string;
  closure_pool: string;
}

/**
 * The audit is a read model: it reads the register's and the ledger's tables in one query
 * (read-only joins, as the architecture allows for read models) and never writes.
 * One aggregation per request, over balances (exact, maintained with every posting) rather
 * than postings: held for undelivered lessons, released (unsettled + settled), refunds,
 * bank cash and suspense per institution and currency. It starts from the ledger's nearest
 * snapshot of balances per institution (an hourly checkpoint, kept a week, or a daily close) and
 * adds the postings since (now: at most about an hour's), or for a past moment subtracts the
 * postings between it and a later snapshot when that one is nearer. Amounts of different
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
  /** When the latest snapshot (hourly checkpoint or daily close) ended, or null before the first. */
  async lastSnapshotEnd(m: EntityManager): Promise<Date | null> {
    const rows: { closes_at: Date | null }[] = await m.query(
      `SELECT greatest((SELECT max(closes_at) FROM ledger_checkpoints), (SELECT closes_at FROM ledger_day_closes ORDER BY day DESC LIMIT 1)) AS closes_at`,
    );
    return rows[0]?.closes_at ?? null;
  }

  /**
   * `fromSnapshot`: the nearest checkpoint or daily close plus or minus the postings between it
   * and the moment (now or `asOf`), so at most an hour of postings (half a day for moments
   * older than the checkpoints) is summed and no per-contract balance row is read. Otherwise
   * (now, with no recent snapshot) the balance rows are summed.
   */
  byInstitution(m: EntityManager, patterns: string[] | null, institutionId: string | null, asOf: Date | null, fromSnapshot = asOf !== null): Promise<AuditRow[]> {
    const balances = fromSnapshot
      ? `SELECT d.institution_id, d.account_type AS type, d.currency, d.balance AS total
           FROM ledger_day_balances d
          WHERE d.day = (SELECT day FROM base) AND d.institution_id IN (SELECT id FROM inst)
         UNION ALL
         SELECT c.institution_id, c.account_type AS type, c.currency, c.balance AS total
           FROM ledger_checkpoint_balances c
          WHERE c.closes_at = (SELECT closes_at FROM base WHERE day IS NULL) AND c.institution_id IN (SELECT id FROM inst)
         UNION ALL
         SELECT a.institution_id, a.type, a.currency, sum(m.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END) AS total
           FROM moved m
           -- One primary-key probe per account moved (OFFSET 0 keeps the planner from hashing every account).
           CROSS JOIN LATERAL (SELECT institution_id, type, currency, normal_side FROM ledger_accounts WHERE id = m.account_id OFFSET 0) a
          WHERE a.institution_id IN (SELECT id FROM inst)
          GROUP BY 1, 2, 3`
      : `SELECT b.institution_id, b.account_type AS type, b.currency, sum(b.balance) AS total
           FROM ledger_balances b
          WHERE b.institution_id IN (SELECT id FROM inst)
          GROUP BY 1, 2, 3`;
    return m.query(
      `WITH inst AS (
         SELECT id, name, uscc, district_code FROM institutions
          WHERE ($1::text[] IS NULL OR district_code LIKE ANY($1::text[])) AND ($2::uuid IS NULL OR id = $2::uuid)),
       ${fromSnapshot ? SNAPSHOT_CTES : ''}
       bal AS (${balances}),
       piv AS (
         SELECT institution_id, currency,
                sum(total) FILTER (WHERE type = 'contract_held') AS held,
                sum(total) FILTER (WHERE type = 'institution_unsettled') AS unsettled,
                sum(total) FILTER (WHERE type = 'institution_settled') AS settled,
                sum(total) FILTER (WHERE type = 'refund_payable') AS refund_payable,
                sum(total) FILTER (WHERE type = 'payer_refunded') AS payer_refunded,
                sum(total) FILTER (WHERE type = 'bank_cash') AS bank_cash,
                sum(total) FILTER (WHERE type = 'suspense') AS suspense,
                sum(total) FILTER (WHERE type = 'transfer_payable') AS transfer_payable,
                sum(total) FILTER (WHERE type = 'payer_transferred') AS payer_transferred,
                sum(total) FILTER (WHERE type = 'closure_pool') AS closure_pool
           FROM bal GROUP BY institution_id, currency)
       SELECT i.id AS institution_id, i.name, i.uscc, i.district_code, coalesce(p.currency, e.currency, 'CNY') AS currency,
              e.id AS escrow_account_id, e.bank_code, e.account_number, e.state AS escrow_state,
              coalesce(p.held, 0)::text AS held, coalesce(p.unsettled, 0)::text AS unsettled,
              coalesce(p.settled, 0)::text AS settled, coalesce(p.refund_payable, 0)::text AS refund_payable,
              coalesce(p.payer_refunded, 0)::text AS payer_refunded,
              coalesce(p.bank_cash, 0)::text AS bank_cash, coalesce(p.suspense, 0)::text AS suspense,
              coalesce(p.transfer_payable, 0)::text AS transfer_payable, coalesce(p.payer_transferred, 0)::text AS payer_transferred,
              coalesce(p.closure_pool, 0)::text AS closure_pool
         FROM inst i
         LEFT JOIN piv p ON p.institution_id = i.id
         LEFT JOIN escrow_accounts e ON e.institution_id = i.id AND e.state <> 'closed'
        ORDER BY i.district_code, i.name, i.id, 5`,
      fromSnapshot ? [patterns, institutionId, asOf] : [patterns, institutionId],
    );
  }

  /** Open or acknowledged alerts per institution and severity (the alerts module owns the table; a read model here). */
  async openAlerts(m: EntityManager, institutionIds: string[]): Promise<Map<string, { info: number; warning: number; critical: number }>> {
    const out = new Map<string, { info: number; warning: number; critical: number }>();
    if (institutionIds.length === 0) return out;
    const rows: { institution_id: string; severity: 'info' | 'warning' | 'critical'; n: number }[] = await m.query(
      `SELECT institution_id, severity, count(*)::int AS n FROM alerts WHERE state <> 'resolved' AND institution_id = ANY($1::uuid[]) GROUP BY 1, 2`,
      [institutionIds],
    );
    for (const r of rows) {
      const c = out.get(r.institution_id) ?? { info: 0, warning: 0, critical: 0 };
      c[r.severity] = r.n;
      out.set(r.institution_id, c);
    }
    return out;
  }
}
