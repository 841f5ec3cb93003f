import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import type { ResolutionAction } from './dto/reconciliation-input.dto';

/**
 * The rules of resolving a reconciliation exception by hand, as pure functions (the service reads
 * the rows, these decide). Which action fits which exception, what a match by hand must name, and
 * the two-person rule of adjustments.
 */

/** What the rules need to know of an exception. */
export interface ExceptionFacts {
  type: string;
  state: string;
  effect: string;
  currency: string;
  statementId: string | null;
  line: number | null;
  source: string | null;
  recordId: string | null;
}

/** What a match by hand pairs: the exception's own side and the side the body names. */
export type ManualPair =
  | { kind: 'line-needs-record'; statementId: string; line: number; source: 'credit' | 'movement' | 'adjustment'; recordId: string }
  | { kind: 'record-needs-line'; source: 'credit' | 'movement' | 'adjustment'; recordId: string; statementId: string; line: number };

export interface ResolutionBody {
  source?: 'credit' | 'movement' | 'adjustment' | null;
  recordId?: string | null;
  statementId?: string | null;
  line?: number | null;
}

/** A bank line nobody recorded (or recorded twice at the bank) is paired with a record; a record the bank never showed, with a line. */
const LINE_TYPES = ['MISSING_IN_LEDGER', 'DUPLICATE_AT_BANK'];
const RECORD_TYPES = ['MISSING_AT_BANK'];

const notApplicable = (message: string, details: Record<string, unknown>) => new DomainError('RESOLUTION_NOT_APPLICABLE', message, details);
const missingField = (fields: string[], action: string) =>
  new DomainError('VALIDATION_FAILED', `${action} needs ${fields.join(' and ')}`, { violations: fields.map((f) => `${f} is required for ${action} of this exception`) });

/**
 * Which states an action acts on. A timing difference is accepted once, on an open exception; an
 * accepted one is still cleared by a match by hand, an adjustment or an applied credit (or by a later
 * run); a reversal undoes a resolution of a resolved exception, or the acceptance of an accepted one.
 */
const STATES_OF: Record<ResolutionAction, readonly string[]> = {
  timing_difference: ['open'],
  manual_match: ['open', 'accepted'],
  adjustment: ['open', 'accepted'],
  apply_credit: ['open', 'accepted'],
  reversal: ['resolved', 'accepted'],
};

export function requireState(action: ResolutionAction, x: ExceptionFacts): void {
  const needed = STATES_OF[action];
  if (!needed.includes(x.state)) {
    throw new DomainError('INVALID_EXCEPTION_TRANSITION', `A ${x.state} exception cannot take a ${action} resolution (it must be ${needed.join(' or ')})`, { state: x.state, action });
  }
}

/**
 * Which resolution a reversal may undo: on an accepted exception, only the acceptance (it reopens);
 * on a resolved one, what resolved it, never an acceptance that a later resolution superseded (undo that one).
 */
export function checkReversalTarget(x: ExceptionFacts, target: { action: string }): void {
  if (x.state === 'accepted' && target.action !== 'timing_difference') {
    throw notApplicable('An accepted exception reverses only its timing_difference resolution', { state: x.state, action: target.action });
  }
  if (x.state === 'resolved' && target.action === 'timing_difference') {
    throw notApplicable('This timing difference was cleared since: reverse the resolution that cleared it', { state: x.state, action: target.action });
  }
}

/** What a match by hand pairs, from the exception's type and the fields of the body. */
export function manualPair(x: ExceptionFacts, body: ResolutionBody): ManualPair {
  if (LINE_TYPES.includes(x.type) && x.statementId && x.line !== null) {
    if (!body.source || !body.recordId) throw missingField(['source', 'recordId'], 'manual_match');
    return { kind: 'line-needs-record', statementId: x.statementId, line: x.line, source: body.source, recordId: body.recordId };
  }
  if (RECORD_TYPES.includes(x.type) && x.source && x.recordId) {
    if (!body.statementId || body.line === undefined || body.line === null) throw missingField(['statementId', 'line'], 'manual_match');
    return { kind: 'record-needs-line', source: x.source as ManualPair['source'], recordId: x.recordId, statementId: body.statementId, line: body.line };
  }
  throw notApplicable(`A ${x.type} exception is not settled by matching a line with a record: accept it (timing_difference) or correct the ledger (adjustment)`, { type: x.type });
}

/** The two sides of a match by hand must be the same money: same account, direction, currency and amount (no tolerance). */
export function checkManualPair(
  line: { escrowAccountId: string; direction: string; amount: string; currency: string; status: string; superseded: boolean },
  record: { escrowAccountId: string; direction: string; amount: string; currency: string },
): void {
  const details = { line: { direction: line.direction, amount: line.amount, currency: line.currency }, record: { direction: record.direction, amount: record.amount, currency: record.currency } };
  if (line.escrowAccountId !== record.escrowAccountId) throw notApplicable('The bank line and the record belong to different escrow accounts', details);
  if (line.status !== 'BOOK') throw notApplicable('Only a booked bank line is matched', { ...details, status: line.status });
  if (line.superseded) throw notApplicable('The bank line is on a statement a later one corrected; match the line of the correction', details);
  if (line.direction !== record.direction) throw notApplicable(`The bank line is ${line.direction} and the record expects ${record.direction}`, details);
  if (line.currency.trim() !== record.currency.trim() || !Money.fromDb(line.amount, line.currency.trim()).eq(Money.fromDb(record.amount, record.currency.trim()))) {
    throw notApplicable('The bank line and the record differ in amount: a match by hand is exact; correct the difference with an adjustment', details);
  }
}

/** An unnotified credit on the statement (a booked CRDT line nobody recorded) is what goes through the credit path. */
export function checkApplyCredit(x: ExceptionFacts, line: { direction: string; status: string; superseded: boolean } | null): void {
  if (x.type !== 'MISSING_IN_LEDGER' || !x.statementId || x.line === null) {
    throw notApplicable('apply_credit is for a bank line missing in the ledger (MISSING_IN_LEDGER)', { type: x.type });
  }
  if (!line) throw new DomainError('RECONCILIATION_EXCEPTION_NOT_FOUND', 'The bank line of this exception is gone', { statementId: x.statementId, line: x.line });
  if (line.direction !== 'CRDT') throw notApplicable('apply_credit is for money in (a CRDT line); this line is a debit', { direction: line.direction });
  if (line.status !== 'BOOK' || line.superseded) throw notApplicable('Only a booked line of a current statement is applied as a credit', { status: line.status, superseded: line.superseded });
}

/** The adjustment that makes the ledger agree with the bank: the exception's effect (bank − ledger), never zero. */
export function adjustmentAmount(x: ExceptionFacts): Money {
  const amount = Money.fromDb(x.effect, x.currency.trim());
  if (amount.isZero()) throw notApplicable(`A ${x.type} exception moves no money: nothing to adjust (accept it as a timing difference)`, { type: x.type, effect: x.effect });
  return amount;
}

/** Two different people: the proposer never approves, and an adjustment is approved once. */
export function checkApproval(a: { proposed_by: string; approved_by: string | null }, approver: string): void {
  if (a.approved_by) throw new DomainError('ADJUSTMENT_ALREADY_APPROVED', 'This adjustment is already approved', { approvedBy: a.approved_by });
  if (a.proposed_by === approver) {
    throw new DomainError('ADJUSTMENT_SAME_PERSON', 'An adjustment is approved by someone other than the person who proposed it', { proposedBy: a.proposed_by });
  }
}

/** What reversing a resolution undoes; system supersessions and reversals themselves are not reversed. */
export function reversalEffect(action: string): 'match' | 'adjustment' | 'none' {
  switch (action) {
    case 'manual_match':
    case 'apply_credit':
    case 'auto_match':
      return 'match';
    case 'adjustment':
      return 'adjustment';
    case 'timing_difference':
      return 'none';
    default:
      throw notApplicable(`A ${action} resolution is not reversed${action === 'reversal' ? ': resolve the exception again instead' : ''}`, { action });
  }
}
