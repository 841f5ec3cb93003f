import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ExpectedLine } from '@common/money/expected-line';
import { EXCEPTION, MATCH, UUID } from './reconciliation.repository';
import type { ExceptionRow, MatchRow } from './reconciliation.types';

/**
 * The reconciliation tables read around one record or one match: an adjustment as the expected line
 * it stands for, and what undoing a match touches (its parts, the exceptions about its bank line and
 * its records, the resolutions in force that settled them), and the pages of an account-day.
 * Split from ReconciliationRepository, which the runs use in bulk.
 */
@Injectable()
export class ReconciliationRecordsRepository {
  /**
   * An approved adjustment as the statement line it stands for (+ raises bank cash: a credit). One whose
   * approval was reversed (a 'reversal' resolution naming it; its ledger transaction is reversed in the
   * same transaction) no longer moves money: it expects no line, and matching a line to it is refused.
   */
  async adjustmentLine(m: EntityManager, id: string): Promise<ExpectedLine | null> {
    if (!UUID.test(id)) return null;
    const rows: { id: string; escrow_account_id: string; amount: string; currency: string; value_date: string; approved_at: Date }[] = await m.query(
      `SELECT a.id, a.escrow_account_id, a.amount::text, a.currency, to_char(a.approved_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS value_date, a.approved_at
         FROM reconciliation_adjustments a WHERE a.id = $1 AND a.approved_at IS NOT NULL AND a.ledger_txn_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM reconciliation_resolutions r WHERE r.adjustment_id = a.id AND r.action = 'reversal')`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    const negative = r.amount.startsWith('-');
    return {
      source: 'adjustment',
      id: r.id,
      escrowAccountId: r.escrow_account_id,
      direction: negative ? 'DBIT' : 'CRDT',
      amount: negative ? r.amount.slice(1) : r.amount,
      currency: r.currency,
      references: [],
      valueDate: r.value_date,
      postedAt: r.approved_at,
    };
  }

  /** The parts of a match group (one bank line, one or several records). */
  groupParts(m: EntityManager, groupId: string): Promise<MatchRow[]> {
    return m.query(`SELECT ${MATCH} FROM reconciliation_matches WHERE group_id = $1 ORDER BY part`, [groupId]);
  }

  /** Is the bank line, or the record, in an active match? */
  async activelyMatched(m: EntityManager, side: { statementId: string; line: number } | { source: string; recordId: string }): Promise<boolean> {
    const rows: unknown[] =
      'line' in side
        ? await m.query(`SELECT 1 FROM reconciliation_matches WHERE statement_id = $1 AND line = $2 AND reversed_at IS NULL LIMIT 1`, [side.statementId, side.line])
        : await m.query(`SELECT 1 FROM reconciliation_matches WHERE source = $1 AND record_id = $2 AND reversed_at IS NULL LIMIT 1`, [side.source, side.recordId]);
    return rows.length > 0;
  }

  /** Exceptions by dedupe key (each key names one bank line or one record), locked. */
  exceptionsByKey(m: EntityManager, keys: string[]): Promise<ExceptionRow[]> {
    return m.query(`SELECT ${EXCEPTION} FROM reconciliation_exceptions WHERE dedupe_key = ANY($1::text[]) ORDER BY id FOR UPDATE`, [keys]);
  }

  /** The latest resolution of an exception still in force (not reversed, not itself a reversal). */
  async resolutionInForce(m: EntityManager, exceptionId: string): Promise<string | null> {
    const rows: { id: string }[] = await m.query(
      `SELECT r.id FROM reconciliation_resolutions r WHERE r.exception_id = $1 AND r.action <> 'reversal'
          AND NOT EXISTS (SELECT 1 FROM reconciliation_resolutions v WHERE v.reverses_id = r.id)
        ORDER BY r.created_at DESC, r.id DESC LIMIT 1`,
      [exceptionId],
    );
    return rows[0]?.id ?? null;
  }

  /** A reversal recorded because the match that settled the exception was undone (by the person who undid it). */
  async insertReversal(m: EntityManager, r: { exceptionId: string; reversesId: string; reason: string; actor: string; actorRole: string; matchGroupId: string }): Promise<void> {
    await m.query(
      `INSERT INTO reconciliation_resolutions (exception_id, action, reason, actor, actor_role, match_group_id, reverses_id) VALUES ($1, 'reversal', $2, $3, $4, $5, $6)`,
      [r.exceptionId, r.reason, r.actor, r.actorRole, r.matchGroupId, r.reversesId],
    );
  }

  /** Bank line and record pairs of the account whose match a person reversed (a 'reversal' resolution of their group): keys of matching.pairKey. */
  async refusedPairs(m: EntityManager, escrowAccountId: string): Promise<Set<string>> {
    const rows: { k: string }[] = await m.query(
      `SELECT DISTINCT x.statement_id || ':' || x.line || '|' || x.source || ':' || x.record_id AS k
         FROM reconciliation_resolutions r JOIN reconciliation_exceptions e ON e.id = r.exception_id
         JOIN reconciliation_matches x ON x.group_id = r.match_group_id
        WHERE r.action = 'reversal' AND e.escrow_account_id = $1 AND x.reversed_at IS NOT NULL`,
      [escrowAccountId],
    );
    return new Set(rows.map((r) => r.k));
  }

  /** Statements of the account-day whose runs were deferred to the day's last page (RunStatus 'deferred'). */
  async deferredRuns(m: EntityManager, escrowAccountId: string, businessDate: string): Promise<string[]> {
    const rows: { statement_id: string }[] = await m.query(
      `SELECT statement_id FROM reconciliation_runs WHERE escrow_account_id = $1 AND business_date = $2 AND status = 'deferred'`,
      [escrowAccountId, businessDate],
    );
    return rows.map((r) => r.statement_id);
  }

  /**
   * Lines of a statement a run already decided (an active match, or an exception about the line): never
   * matched twice. A line whose match was reversed has an exception (match-reversals.ts raises it).
   */
  async handledLines(m: EntityManager, statementId: string): Promise<Set<number>> {
    const rows: { line: number }[] = await m.query(
      `SELECT line FROM reconciliation_matches WHERE statement_id = $1 AND reversed_at IS NULL
       UNION SELECT line FROM reconciliation_exceptions WHERE statement_id = $1 AND line IS NOT NULL`,
      [statementId],
    );
    return new Set(rows.map((r) => r.line));
  }
}
