import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface AuditRow {
  institution_id: string;
  name: string;
  uscc: string;
  district_code: string;
  escrow_account_id: string | null;
  bank_code: string | null;
  account_number: string | null;
  escrow_state: string | null;
  held: string;
  unsettled: string;
  settled: string;
  refund_payable: string;
  bank_cash: string;
  suspense: string;
}

/**
 * One aggregation per request, over balances (exact, maintained with every posting) rather
 * than postings: held for undelivered lessons, released (unsettled + settled), refunds,
 * bank cash and suspense per institution. `asOf` reads the postings up to that moment instead.
 */
@Injectable()
export class AuditRepository {
  byInstitution(m: EntityManager, patterns: string[] | null, institutionId: string | null, asOf: Date | null): Promise<AuditRow[]> {
    const balances = asOf
      ? `SELECT a.institution_id, a.type, sum(p.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END) AS total
           FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
          WHERE a.institution_id IN (SELECT id FROM inst) AND p.created_at <= $3
          GROUP BY 1, 2`
      : `SELECT institution_id, account_type AS type, sum(balance) AS total
           FROM ledger_balances WHERE institution_id IN (SELECT id FROM inst)
          GROUP BY 1, 2`;
    return m.query(
      `WITH inst AS (
         SELECT id, name, uscc, district_code FROM institutions
          WHERE ($1::text[] IS NULL OR district_code LIKE ANY($1::text[])) AND ($2::uuid IS NULL OR id = $2::uuid)),
       bal AS (${balances}),
       piv AS (
         SELECT institution_id,
                sum(total) FILTER (WHERE type = 'contract_held') AS held,
                sum(total) FILTER (WHERE type = 'institution_unsettled') AS unsettled,
                sum(total) FILTER (WHERE type = 'institution_settled') AS settled,
                sum(total) FILTER (WHERE type = 'refund_payable') AS refund_payable,
                sum(total) FILTER (WHERE type = 'bank_cash') AS bank_cash,
                sum(total) FILTER (WHERE type = 'suspense') AS suspense
           FROM bal GROUP BY institution_id)
       SELECT i.id AS institution_id, i.name, i.uscc, i.district_code,
              e.id AS escrow_account_id, e.bank_code, e.account_number, e.state AS escrow_state,
              coalesce(p.held, 0)::numeric(18,2)::text AS held, coalesce(p.unsettled, 0)::numeric(18,2)::text AS unsettled,
              coalesce(p.settled, 0)::numeric(18,2)::text AS settled, coalesce(p.refund_payable, 0)::numeric(18,2)::text AS refund_payable,
              coalesce(p.bank_cash, 0)::numeric(18,2)::text AS bank_cash, coalesce(p.suspense, 0)::numeric(18,2)::text AS suspense
         FROM inst i
         LEFT JOIN piv p ON p.institution_id = i.id
         LEFT JOIN escrow_accounts e ON e.institution_id = i.id AND e.state <> 'closed'
        ORDER BY i.district_code, i.name, i.id`,
      asOf ? [patterns, institutionId, asOf] : [patterns, institutionId],
    );
  }
}
