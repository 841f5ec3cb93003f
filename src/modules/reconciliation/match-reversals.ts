import { EntityManager } from 'typeorm';
import type { ExpectedLine } from '@common/money/expected-line';
import { toBankLine } from './bank-lines';
import { exceptionOf, ExceptionFacts } from './exception-builders';
import { signedMinor, toMinor } from './matching';
import type { StatementLine } from './reconciliation-engine.service';
import { ReconciliationRecordsRepository } from './reconciliation-records.repository';
import type { ExceptionRow, NewException, ReconciliationRepository } from './reconciliation.repository';

export interface ReversalContext {
  repo: ReconciliationRepository;
  records: ReconciliationRecordsRepository;
  statementLine(m: EntityManager, statementId: string, line: number): Promise<StatementLine | null>;
  expectedLine(m: EntityManager, source: ExpectedLine['source'], id: string): Promise<ExpectedLine | null>;
  /** The first day of the matching window around a business day (records valued before it are missing at the bank). */
  windowStart(m: EntityManager, day: string): Promise<string>;
}

export interface ReversalActor {
  reason: string;
  actor: string;
  actorRole: string;
}

type Day = { escrow_account_id: string; business_date: string };

/**
 * After a match group is reversed (a person undid the resolution that made it, or its auto_match),
 * each side stands alone again and says so, so the balance stays explained (never a vague
 * BALANCE_BREAK): the bank line is MISSING_IN_LEDGER (or DUPLICATE_AT_BANK, as it was) again, each
 * record MISSING_AT_BANK again. An exception about a side that was resolved is reopened, by a reversal
 * of the resolution in force recorded in the name of the person who reversed the match; a side without
 * one gets it raised now (dedupe keys are per line and per record, so a later run would not raise it
 * again). A record inside the window of the match's day is in transit rather than missing: the next
 * run ages it. An AMOUNT_MISMATCH of the match no longer stands (the line and the records each carry
 * their whole effect now): resolved as 'superseded'. Sides matched again meanwhile are left alone.
 * Returns the account-days whose exceptions changed.
 */
export async function settleReversedMatch(ctx: ReversalContext, m: EntityManager, groupId: string, by: ReversalActor): Promise<Day[]> {
  const parts = await ctx.records.groupParts(m, groupId);
  if (parts.length === 0 || parts.some((p) => p.reversed_at === null)) return [];
  const account = await ctx.repo.accountInfo(m, parts[0].escrow_account_id);
  if (!account) return [];
  const touched: Day[] = [];
  const fresh: NewException[] = [];
  const reopen = async (x: ExceptionRow) => {
    const target = await ctx.records.resolutionInForce(m, x.id);
    if (target) await ctx.records.insertReversal(m, { exceptionId: x.id, reversesId: target, reason: `match ${groupId} reversed: ${by.reason}`, actor: by.actor, actorRole: by.actorRole, matchGroupId: groupId });
    await ctx.repo.setState(m, [x.id], ['resolved'], 'open');
    touched.push(x);
  };
  const { statement_id: statementId, line: lineNo, bank_date: day } = parts[0];
  const facts: ExceptionFacts = { runId: null, account, statementId, businessDate: day, currency: account.currency };

  // The bank line.
  const line = await ctx.statementLine(m, statementId, lineNo);
  if (line && !line.superseded && !(await ctx.records.activelyMatched(m, { statementId, line: lineNo }))) {
    const about = await ctx.records.exceptionsByKey(m, [`missing-in-ledger:${statementId}:${lineNo}`, `duplicate:${statementId}:${lineNo}`, `amount:${statementId}:${lineNo}`]);
    for (const x of about.filter((e) => e.type === 'AMOUNT_MISMATCH' && (e.state === 'open' || e.state === 'accepted'))) {
      await ctx.repo.setState(m, [x.id], ['open', 'accepted'], 'resolved');
      await ctx.repo.insertSystemResolutions(m, [{ exceptionId: x.id, action: 'superseded', reason: `match ${groupId} reversed: the line and the record no longer stand for each other`, matchGroupId: groupId }]);
      touched.push(x);
    }
    const own = about.filter((e) => e.type !== 'AMOUNT_MISMATCH');
    for (const x of own) if (x.state === 'resolved') await reopen(x);
    if (own.length === 0) {
      const b = toBankLine(line, statementId, line.statement_date);
      const details = { reason: 'match_reversed', matchGroupId: groupId, candidates: 0, reversal: b.reversal, reverses: null };
      fresh.push(exceptionOf({ ...facts, currency: line.currency }, { type: 'MISSING_IN_LEDGER', key: `missing-in-ledger:${statementId}:${lineNo}`, line: b, amount: b.amount, effect: signedMinor(b.direction, b.amount), details }));
    }
  }

  // Each platform record (an adjustment whose approval was reversed expects no line: nothing to say about it).
  const windowStart = await ctx.windowStart(m, day);
  for (const p of parts) {
    const record = await ctx.expectedLine(m, p.source, p.record_id);
    if (!record || (await ctx.records.activelyMatched(m, { source: p.source, recordId: p.record_id }))) continue;
    const key = `missing-at-bank:${p.source}:${p.record_id}`;
    const [x] = await ctx.records.exceptionsByKey(m, [key]);
    if (x) {
      if (x.state === 'resolved') await reopen(x);
    } else if (record.valueDate < windowStart) {
      const amount = toMinor(record.amount);
      const details = { valueDate: record.valueDate, postedAt: record.postedAt.toISOString(), matchGroupId: groupId };
      fresh.push(exceptionOf(facts, { type: 'MISSING_AT_BANK', key, records: [record], amount, effect: -signedMinor(record.direction, amount), statementScoped: false, details }));
    }
  }
  for (const x of await ctx.repo.insertExceptions(m, fresh)) touched.push({ escrow_account_id: account.id, business_date: x.business_date });
  return touched;
}
