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
 * bank cash and suspense per institution and currency. `asOf` reads the postings up to that
 * moment instead. Amounts of different currencies are never added together.
 */
@Injectable()
export class AuditRepository {
  byInstitution(m: EntityManager, patterns: string[] | null, institutionId: string | null, asOf: Date | null): Promise<AuditRow[]> {
    const balances = asOf
      ? `SELECT a.institution_id, a.type, a.currency, sum(p.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END) AS total
           FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
          WHERE a.institution_id IN (SELECT id FROM inst) AND p.created_at <= $3
          GROUP BY 1, 2, 3`
      : `SELECT b.institution_id, b.account_type AS type, b.currency, sum(b.balance) AS total
           FROM ledger_balances b
          WHERE b.institution_id IN (SELECT id FROM inst)
          GROUP BY 1, 2, 3`;
    return m.query(
      `WITH inst AS (
         SELECT id, name, uscc, district_code FROM institutions
          WHERE ($1::text[] IS NULL OR district_code LIKE ANY($1::text[])) AND ($2::uuid IS NULL OR id = $2::uuid)),
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
      asOf ? [patterns, institutionId, asOf] : [patterns, institutionId],
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
