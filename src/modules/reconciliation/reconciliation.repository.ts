import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ExpectedLineSource } from '@common/money/expected-line';
import { rowsOf } from '@infra/database/sql';
import type { ExceptionState } from './exception-state-machine';
import type { AccountDayRow, AccountInfo, ExceptionRow, ExceptionType, MatchRow, NewException, NewMatch, NewRun, RunRow, SystemResolution } from './reconciliation.types';
import { uuid7 } from './uuid7';

export type { AccountDayRow, AccountInfo, DayStatus, ExceptionRow, ExceptionType, MatchMethod, MatchRow, NewException, NewMatch, NewRun, RunRow, RunStatus, SystemResolution } from './reconciliation.types';

const RUN = `id, statement_id, escrow_account_id, business_date::text, status, bank_closing::text, ledger_balance::text, in_transit::text, in_transit_items,
  difference::text, residual::text, matched_lines, exceptions, created_at`;
export const MATCH = `id, group_id, part, parts, run_id, resolution_id, escrow_account_id, statement_id, line, bank_date::text, bank_amount::text, source, record_id,
  record_amount::text, record_posted_at, difference::text, method, created_at, reversed_at, reversal_reason`;
export const EXCEPTION = `id, dedupe_key, run_id, escrow_account_id, institution_id, district_code, business_date::text, type, currency, amount::text, effect::text,
  statement_id, line, bank_reference, source, record_id, platform_reference, details, state, created_at, updated_at`;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows per multi-row INSERT (unnest arrays): big enough to be few round trips, small enough for one message. */
const BULK = 5000;
/**
 * The accepted timing differences a day (`$2`) stands on: its own, and earlier ones whose money is
 * still outstanding (their effect explains its balance, as records in transit do).
 */
const ACCEPTED_OF_DAY = `state = 'accepted' AND (business_date = $2 OR effect <> 0)`;

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += BULK) out.push(rows.slice(i, i + BULK));
  return out;
}

/** The only writer of the six reconciliation tables (resolutions and adjustments also by the resolutions code of this module). */
@Injectable()
export class ReconciliationRepository {
  /** Runs (and resolutions) of one escrow account serialise on this lock, until commit. */
  async lockAccount(m: EntityManager, escrowAccountId: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('reconciliation:' || $1, 0))`, [escrowAccountId]);
  }

  // ---- read model over the registry (read-only joins of escrow_accounts and institutions) ----

  async accountInfo(m: EntityManager, escrowAccountId: string): Promise<AccountInfo | null> {
    const rows: AccountInfo[] = await m.query(
      `SELECT e.id, e.institution_id, i.district_code, e.bank_code, e.account_number, e.currency, e.state, e.created_at
         FROM escrow_accounts e JOIN institutions i ON i.id = e.institution_id WHERE e.id = $1`,
      [escrowAccountId],
    );
    return rows[0] ?? null;
  }

  /** Escrow accounts that expect statements: every one not closed (a frozen account's money is still at the bank). */
  activeAccounts(m: EntityManager, filter: { districtCode?: string; institutionIds?: string[] } = {}): Promise<AccountInfo[]> {
    return m.query(
      `SELECT e.id, e.institution_id, i.district_code, e.bank_code, e.account_number, e.currency, e.state, e.created_at
         FROM escrow_accounts e JOIN institutions i ON i.id = e.institution_id
        WHERE e.state <> 'closed' AND ($1::text IS NULL OR i.district_code = $1) AND ($2::uuid[] IS NULL OR e.institution_id = ANY($2::uuid[]))
        ORDER BY e.id`,
      [filter.districtCode ?? null, filter.institutionIds ?? null],
    );
  }

  // ---- runs ---------------------------------------------------------------------------------

  async findRun(m: EntityManager, statementId: string): Promise<RunRow | null> {
    if (!UUID.test(statementId)) return null;
    const rows: RunRow[] = await m.query(`SELECT ${RUN} FROM reconciliation_runs WHERE statement_id = $1`, [statementId]);
    return rows[0] ?? null;
  }

  async insertRun(m: EntityManager, r: NewRun): Promise<RunRow> {
    const rows: RunRow[] = await m.query(
      `INSERT INTO reconciliation_runs (id, statement_id, escrow_account_id, business_date, status, bank_closing, ledger_balance, in_transit, in_transit_items,
         difference, residual, matched_lines, exceptions)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${RUN}`,
      [r.id, r.statement_id, r.escrow_account_id, r.business_date, r.status, r.bank_closing, r.ledger_balance, r.in_transit, r.in_transit_items, r.difference,
        r.residual, r.matched_lines, r.exceptions],
    );
    return rows[0];
  }

  /** The run that stands for an account-day: the latest one of a statement of that day not superseded (nor deferred to a later page). */
  async dayRun(m: EntityManager, escrowAccountId: string, businessDate: string): Promise<RunRow | null> {
    const rows: RunRow[] = await m.query(
      `SELECT ${RUN} FROM reconciliation_runs WHERE escrow_account_id = $1 AND business_date = $2 AND status NOT IN ('superseded', 'deferred')
        ORDER BY created_at DESC, id DESC LIMIT 1`,
      [escrowAccountId, businessDate],
    );
    return rows[0] ?? null;
  }

  // ---- matches --------------------------------------------------------------------------------

  /** Which of these records are in an active match (keys `source:id`). */
  async activelyMatched(m: EntityManager, records: { source: ExpectedLineSource; id: string }[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(records)) {
      const rows: { k: string }[] = await m.query(
        // One index probe per record (the partial unique index on active matches): a plain join let the planner
        // scan or hash the whole table once it held ~850k rows with stale statistics (7.7 s instead of 21 ms).
        `SELECT x.source || ':' || x.record_id AS k FROM unnest($1::text[], $2::uuid[]) AS r(source, id)
           CROSS JOIN LATERAL (SELECT y.source, y.record_id FROM reconciliation_matches y
                                WHERE y.source = r.source AND y.record_id = r.id AND y.reversed_at IS NULL OFFSET 0) x`,
        [part.map((r) => r.source), part.map((r) => r.id)],
      );
      for (const r of rows) out.add(r.k);
    }
    return out;
  }

  /** Matches of one escrow account, run and resolution (the columns they share are sent once). */
  async insertMatches(m: EntityManager, rows: NewMatch[]): Promise<void> {
    if (rows.length === 0) return;
    const { run_id, resolution_id, escrow_account_id } = rows[0];
    if (rows.some((r) => r.run_id !== run_id || r.resolution_id !== resolution_id || r.escrow_account_id !== escrow_account_id)) throw new Error('insertMatches: one account, run and resolution per call');
    for (const part of chunks(rows)) {
      const col = <T>(f: (r: NewMatch) => T) => part.map(f);
      await m.query(
        `INSERT INTO reconciliation_matches (run_id, resolution_id, escrow_account_id, id, group_id, part, parts, statement_id, line, bank_date, bank_amount, source,
           record_id, record_amount, record_posted_at, difference, method)
         SELECT $1::uuid, $2::uuid, $3::uuid, * FROM unnest($17::uuid[], $4::uuid[], $5::int[], $6::int[], $7::uuid[], $8::int[], $9::date[], $10::numeric[], $11::text[],
           $12::uuid[], $13::numeric[], $14::timestamptz[], $15::numeric[], $16::text[])`,
        [
          run_id, resolution_id, escrow_account_id, col((r) => r.group_id), col((r) => r.part), col((r) => r.parts),
          col((r) => r.statement_id), col((r) => r.line), col((r) => r.bank_date), col((r) => r.bank_amount), col((r) => r.source), col((r) => r.record_id),
          col((r) => r.record_amount), col((r) => r.record_posted_at), col((r) => r.difference), col((r) => r.method), col(() => uuid7()),
        ],
      );
    }
  }

  /** Active matches naming this bank line or one of these records (a friendly 409 before the unique indexes would refuse). */
  async activeConflicts(m: EntityManager, statementId: string, line: number, records: { source: ExpectedLineSource; id: string }[]): Promise<MatchRow[]> {
    return m.query(
      `SELECT ${MATCH} FROM reconciliation_matches x WHERE x.reversed_at IS NULL
          AND ((x.statement_id = $1 AND x.line = $2) OR (x.source, x.record_id) IN (SELECT * FROM unnest($3::text[], $4::uuid[])))`,
      [statementId, line, records.map((r) => r.source), records.map((r) => r.id)],
    );
  }

  /** Reverses (never deletes) the active parts of a group; returns how many. */
  async reverseGroup(m: EntityManager, groupId: string, reason: string): Promise<number> {
    const rows = rowsOf(await m.query(`UPDATE reconciliation_matches SET reversed_at = now(), reversal_reason = $2 WHERE group_id = $1 AND reversed_at IS NULL RETURNING id`, [groupId, reason]));
    return rows.length;
  }

  async reverseStatementMatches(m: EntityManager, statementId: string, reason: string): Promise<number> {
    const rows = rowsOf(
      await m.query(`UPDATE reconciliation_matches SET reversed_at = now(), reversal_reason = $2 WHERE statement_id = $1 AND reversed_at IS NULL RETURNING id`, [statementId, reason]),
    );
    return rows.length;
  }

  /**
   * The balance terms of active matches around a day (signed record amounts): records the bank booked on
   * statements up to the day but the ledger posted after `asOf`, and records in the ledger by `asOf` that
   * the bank booked on a later statement.
   */
  async matchTerms(m: EntityManager, escrowAccountId: string, businessDate: string, asOf: Date): Promise<{ late: string; early: string }> {
    // Each side read from its own index over the recent end (posted after the day / booked after it): the
    // account's whole history of matches is never scanned.
    const rows: { late: string; early: string }[] = await m.query(
      `SELECT (SELECT coalesce(sum(record_amount), 0) FROM reconciliation_matches
                WHERE escrow_account_id = $1 AND reversed_at IS NULL AND record_posted_at > $3 AND bank_date <= $2)::text AS late,
              (SELECT coalesce(sum(record_amount), 0) FROM reconciliation_matches
                WHERE escrow_account_id = $1 AND reversed_at IS NULL AND bank_date > $2 AND record_posted_at <= $3)::text AS early`,
      [escrowAccountId, businessDate, asOf],
    );
    return rows[0];
  }

  // ---- exceptions -------------------------------------------------------------------------------

  /** Inserts the new ones (one per dedupe key); returns the rows inserted now. */
  async insertExceptions(m: EntityManager, rows: NewException[]): Promise<{ id: string; dedupe_key: string; business_date: string }[]> {
    const out: { id: string; dedupe_key: string; business_date: string }[] = [];
    for (const part of chunks(rows)) {
      const col = <T>(f: (r: NewException) => T) => part.map(f);
      out.push(
        ...((await m.query(
          `INSERT INTO reconciliation_exceptions (dedupe_key, run_id, escrow_account_id, institution_id, district_code, business_date, type, currency, amount, effect,
             statement_id, line, bank_reference, source, record_id, platform_reference, details)
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::date[], $7::text[], $8::text[], $9::numeric[], $10::numeric[],
             $11::uuid[], $12::int[], $13::text[], $14::text[], $15::uuid[], $16::text[], $17::jsonb[])
           ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key, business_date::text`,
          [
            col((r) => r.dedupe_key), col((r) => r.run_id), col((r) => r.escrow_account_id), col((r) => r.institution_id), col((r) => r.district_code),
            col((r) => r.business_date), col((r) => r.type), col((r) => r.currency), col((r) => r.amount), col((r) => r.effect), col((r) => r.statement_id),
            col((r) => r.line), col((r) => r.bank_reference), col((r) => r.source), col((r) => r.record_id), col((r) => r.platform_reference),
            col((r) => JSON.stringify(r.details)),
          ],
        )) as { id: string; dedupe_key: string; business_date: string }[]),
      );
    }
    return out;
  }

  async findException(m: EntityManager, id: string, lock = false): Promise<ExceptionRow | null> {
    if (!UUID.test(id)) return null;
    const rows: ExceptionRow[] = await m.query(`SELECT ${EXCEPTION} FROM reconciliation_exceptions WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /** Outstanding (open or accepted) exceptions of an account of some types (business day from `fromDate` on, when given): a run may still clear them. */
  openExceptions(m: EntityManager, escrowAccountId: string, types: ExceptionType[], fromDate: string | null = null): Promise<ExceptionRow[]> {
    return m.query(
      `SELECT ${EXCEPTION} FROM reconciliation_exceptions
        WHERE escrow_account_id = $1 AND state IN ('open', 'accepted') AND type = ANY($2::text[]) AND ($3::date IS NULL OR business_date >= $3)
        ORDER BY business_date, statement_id, line`,
      [escrowAccountId, types, fromDate],
    );
  }

  /** Outstanding (open or accepted) exceptions raised about a statement (its lines, its balance, its sequence). */
  async openOfStatement(m: EntityManager, statementId: string): Promise<string[]> {
    const rows: { id: string }[] = await m.query(`SELECT id FROM reconciliation_exceptions WHERE statement_id = $1 AND state IN ('open', 'accepted')`, [statementId]);
    return rows.map((r) => r.id);
  }

  /**
   * Σ effect of the account's outstanding exceptions up to the day (bank − ledger): open ones and
   * accepted timing differences (the money difference stays until it clears); how many open ones are
   * of the day itself, and how many accepted ones the day stands on (ACCEPTED_OF_DAY).
   */
  async openFigures(m: EntityManager, escrowAccountId: string, businessDate: string): Promise<{ effects: string; openOfDay: number; accepted: number }> {
    const rows: { effects: string; open_of_day: number; accepted: number }[] = await m.query(
      `SELECT coalesce(sum(effect), 0)::text AS effects, (count(*) FILTER (WHERE state = 'open' AND business_date = $2))::int AS open_of_day,
              (count(*) FILTER (WHERE ${ACCEPTED_OF_DAY}))::int AS accepted
         FROM reconciliation_exceptions WHERE escrow_account_id = $1 AND state IN ('open', 'accepted') AND business_date <= $2`,
      [escrowAccountId, businessDate],
    );
    return { effects: rows[0].effects, openOfDay: rows[0].open_of_day, accepted: rows[0].accepted };
  }

  /** The distinct business days of these exceptions. */
  async businessDates(m: EntityManager, ids: string[]): Promise<string[]> {
    const rows: { d: string }[] = await m.query(`SELECT DISTINCT business_date::text AS d FROM reconciliation_exceptions WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map((r) => r.d);
  }

  /** The day's open exceptions, and the accepted timing differences it stands on (as `openFigures` counts them). */
  async countOpen(m: EntityManager, escrowAccountId: string, businessDate: string): Promise<{ open: number; accepted: number }> {
    const rows: { open: number; accepted: number }[] = await m.query(
      `SELECT (count(*) FILTER (WHERE state = 'open' AND business_date = $2))::int AS open, (count(*) FILTER (WHERE ${ACCEPTED_OF_DAY}))::int AS accepted
         FROM reconciliation_exceptions WHERE escrow_account_id = $1 AND state IN ('open', 'accepted') AND business_date <= $2`,
      [escrowAccountId, businessDate],
    );
    return rows[0];
  }

  /**
   * A guarded state change (the state machine's `from` list) of several exceptions at once; returns
   * the ids that changed (an exception already in `to` is left alone).
   */
  async setState(m: EntityManager, ids: string[], from: readonly ExceptionState[], to: ExceptionState): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = rowsOf<{ id: string }>(
      await m.query(`UPDATE reconciliation_exceptions SET state = $3, updated_at = now() WHERE id = ANY($1::uuid[]) AND state = ANY($2::text[]) RETURNING id`, [
        ids,
        [...from],
        to,
      ]),
    );
    return rows.map((r) => r.id);
  }

  // ---- resolutions written by the system ----------------------------------------------------------

  async insertSystemResolutions(m: EntityManager, rows: SystemResolution[]): Promise<void> {
    for (const part of chunks(rows)) {
      await m.query(
        `INSERT INTO reconciliation_resolutions (exception_id, action, reason, actor, actor_role, match_group_id)
         SELECT e, a, r, 'system', 'system', g FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) AS t(e, a, r, g)`,
        [part.map((r) => r.exceptionId), part.map((r) => r.action), part.map((r) => r.reason), part.map((r) => r.matchGroupId)],
      );
    }
  }

  // ---- account-days -----------------------------------------------------------------------------------

  async upsertAccountDay(m: EntityManager, d: Omit<AccountDayRow, 'updated_at'>): Promise<void> {
    await m.query(
      `INSERT INTO reconciliation_account_days (escrow_account_id, business_date, institution_id, district_code, currency, status, statement_id, run_id,
         bank_closing, ledger_balance, in_transit, difference, open_exceptions)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (escrow_account_id, business_date) DO UPDATE SET institution_id = EXCLUDED.institution_id, district_code = EXCLUDED.district_code,
         currency = EXCLUDED.currency, status = EXCLUDED.status, statement_id = EXCLUDED.statement_id, run_id = EXCLUDED.run_id,
         bank_closing = EXCLUDED.bank_closing, ledger_balance = EXCLUDED.ledger_balance, in_transit = EXCLUDED.in_transit,
         difference = EXCLUDED.difference, open_exceptions = EXCLUDED.open_exceptions, updated_at = now()`,
      [d.escrow_account_id, d.business_date, d.institution_id, d.district_code, d.currency, d.status, d.statement_id, d.run_id, d.bank_closing,
        d.ledger_balance, d.in_transit, d.difference, d.open_exceptions],
    );
  }

}
