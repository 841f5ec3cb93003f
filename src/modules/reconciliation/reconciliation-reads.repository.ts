import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EXCEPTION_COLUMNS, ExceptionViewRow } from './resolutions.repository';

/**
 * The read models of the reconciliation API: the district summary of a day, pages of exceptions,
 * a statement's run, the last reconciled day per institution. The summary and runs join the
 * register's escrow accounts and institutions read-only, as read models may; nothing here writes.
 * Dates and amounts leave as text: never a JS Date shifted by a time zone, never a float.
 */

export interface AccountDayRow {
  escrow_account_id: string;
  institution_id: string;
  bank_code: string;
  account_number: string;
  currency: string;
  status: 'reconciled' | 'reconciled_in_transit' | 'broken' | 'missing';
  bank_closing: string | null;
  ledger_balance: string | null;
  in_transit: string | null;
  difference: string | null;
  open_exceptions: number;
  statement_id: string | null;
}

export interface RunViewRow {
  id: string;
  statement_id: string;
  escrow_account_id: string;
  institution_id: string;
  district_code: string;
  business_date: string;
  status: string;
  bank_closing: string;
  ledger_balance: string | null;
  in_transit: string | null;
  difference: string | null;
  residual: string | null;
  matched_lines: number;
  exceptions: number;
  created_at: Date;
}

export interface ExceptionFilter {
  districtPatterns: string[] | null;
  state?: string;
  type?: string;
  date?: string;
  escrowAccountId?: string;
  before?: { at: string; id: string };
  limit: number;
}

/** Problems first: broken, missing, in transit, reconciled. */
const STATUS_ORDER = `CASE status WHEN 'broken' THEN 0 WHEN 'missing' THEN 1 WHEN 'reconciled_in_transit' THEN 2 ELSE 3 END`;

@Injectable()
export class ReconciliationReadsRepository {
  /**
   * Every escrow account of the district pattern on `date`: its account-day, or `missing` when an
   * account that is not closed has none (a frozen account still holds money at the bank).
   */
  districtDay(m: EntityManager, pattern: string, date: string): Promise<AccountDayRow[]> {
    return m.query(
      `SELECT * FROM (
         SELECT e.id AS escrow_account_id, e.institution_id, e.bank_code, e.account_number, e.currency,
                coalesce(d.status, 'missing') AS status, d.bank_closing::text AS bank_closing, d.ledger_balance::text AS ledger_balance,
                d.in_transit::text AS in_transit, d.difference::text AS difference, coalesce(d.open_exceptions, 0) AS open_exceptions,
                d.statement_id, i.district_code
           FROM escrow_accounts e
           JOIN institutions i ON i.id = e.institution_id
           LEFT JOIN reconciliation_account_days d ON d.escrow_account_id = e.id AND d.business_date = $2::date
          WHERE i.district_code LIKE $1 AND (d.escrow_account_id IS NOT NULL OR e.state <> 'closed')) s
        ORDER BY ${STATUS_ORDER}, district_code, account_number, escrow_account_id`,
      [pattern, date],
    );
  }

  /** A page of exceptions, newest first (keyset on created_at, id). */
  exceptions(m: EntityManager, f: ExceptionFilter): Promise<ExceptionViewRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (f.districtPatterns) where.push(`x.district_code LIKE ANY(${p(f.districtPatterns)}::text[])`);
    if (f.state) where.push(`x.state = ${p(f.state)}`);
    if (f.type) where.push(`x.type = ${p(f.type)}`);
    if (f.date) where.push(`x.business_date = ${p(f.date)}::date`);
    if (f.escrowAccountId) where.push(`x.escrow_account_id = ${p(f.escrowAccountId)}::uuid`);
    if (f.before) where.push(`(x.created_at, x.id) < (${p(f.before.at)}::timestamptz, ${p(f.before.id)}::uuid)`);
    return m.query(
      `SELECT ${EXCEPTION_COLUMNS} FROM reconciliation_exceptions x ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY x.created_at DESC, x.id DESC LIMIT ${p(f.limit)}`,
      params,
    );
  }

  async runOfStatement(m: EntityManager, statementId: string): Promise<RunViewRow | null> {
    const rows: RunViewRow[] = await m.query(
      `SELECT r.id, r.statement_id, r.escrow_account_id, e.institution_id, i.district_code, r.business_date::text AS business_date, r.status,
              r.bank_closing::text AS bank_closing, r.ledger_balance::text AS ledger_balance, r.in_transit::text AS in_transit,
              r.difference::text AS difference, r.residual::text AS residual, r.matched_lines, r.exceptions, r.created_at
         FROM reconciliation_runs r JOIN escrow_accounts e ON e.id = r.escrow_account_id JOIN institutions i ON i.id = e.institution_id
        WHERE r.statement_id = $1`,
      [statementId],
    );
    return rows[0] ?? null;
  }

  /** Per institution: the latest business day (up to `upTo` when given) on which one of its accounts reconciled. */
  async lastReconciledDays(m: EntityManager, institutionIds: string[], upTo: string | null): Promise<Map<string, string>> {
    if (institutionIds.length === 0) return new Map();
    const rows: { institution_id: string; day: string }[] = await m.query(
      `SELECT institution_id, max(business_date)::text AS day FROM reconciliation_account_days
        WHERE institution_id = ANY($1::uuid[]) AND status IN ('reconciled', 'reconciled_in_transit') AND ($2::date IS NULL OR business_date <= $2::date)
        GROUP BY institution_id`,
      [institutionIds, upTo],
    );
    return new Map(rows.map((r) => [r.institution_id, r.day]));
  }
}
