import { DomainError } from '@common/errors/domain-error';
import { canTransition } from '@modules/reconciliation/exception-state-machine';
import { adjustmentAmount, checkApplyCredit, checkApproval, checkManualPair, checkReversalTarget, ExceptionFacts, manualPair, requireState, reversalEffect } from '@modules/reconciliation/resolution-rules';

/** The pure rules of resolving reconciliation exceptions by hand (issue 13). */

const exception = (over: Partial<ExceptionFacts> = {}): ExceptionFacts => ({
  type: 'MISSING_IN_LEDGER',
  state: 'open',
  effect: '50.00',
  currency: 'CNY',
  statementId: 'st-1',
  line: 3,
  source: null,
  recordId: null,
  ...over,
});

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof DomainError ? err.code : 'NOT_A_DOMAIN_ERROR';
  }
};

describe('resolution rules', () => {
  it('acts on open exceptions, and reverses only resolved ones', () => {
    expect(codeOf(() => requireState('timing_difference', exception()))).toBeNull();
    expect(codeOf(() => requireState('timing_difference', exception({ state: 'resolved' })))).toBe('INVALID_EXCEPTION_TRANSITION');
    expect(codeOf(() => requireState('reversal', exception()))).toBe('INVALID_EXCEPTION_TRANSITION');
    expect(codeOf(() => requireState('reversal', exception({ state: 'resolved' })))).toBeNull();
  });

  it('clears an accepted timing difference by a match, an adjustment or a credit, never accepts it twice, and reverses only the acceptance', () => {
    const accepted = exception({ state: 'accepted' });
    for (const action of ['manual_match', 'adjustment', 'apply_credit', 'reversal'] as const) expect(codeOf(() => requireState(action, accepted))).toBeNull();
    expect(codeOf(() => requireState('timing_difference', accepted))).toBe('INVALID_EXCEPTION_TRANSITION');
    expect(codeOf(() => checkReversalTarget(accepted, { action: 'timing_difference' }))).toBeNull();
    expect(codeOf(() => checkReversalTarget(accepted, { action: 'manual_match' }))).toBe('RESOLUTION_NOT_APPLICABLE');
    // Cleared since: what cleared it is reversed, not the acceptance it superseded.
    expect(codeOf(() => checkReversalTarget(exception({ state: 'resolved' }), { action: 'timing_difference' }))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => checkReversalTarget(exception({ state: 'resolved' }), { action: 'auto_match' }))).toBeNull();
    // The state machine: open → accepted → resolved, accepted → open; nothing becomes accepted but an open exception.
    expect([canTransition('open', 'accepted'), canTransition('accepted', 'resolved'), canTransition('accepted', 'open')]).toEqual([true, true, true]);
    expect([canTransition('resolved', 'accepted'), canTransition('accepted', 'accepted')]).toEqual([false, false]);
  });

  it('pairs a bank line with a named record, and a record with a named line', () => {
    expect(manualPair(exception(), { source: 'credit', recordId: 'c-1' })).toEqual({ kind: 'line-needs-record', statementId: 'st-1', line: 3, source: 'credit', recordId: 'c-1' });
    expect(codeOf(() => manualPair(exception(), { statementId: 'st-2', line: 1 }))).toBe('VALIDATION_FAILED');
    const atBank = exception({ type: 'MISSING_AT_BANK', statementId: null, line: null, source: 'movement', recordId: 'm-1', effect: '-30.00' });
    expect(manualPair(atBank, { statementId: 'st-2', line: 1 })).toEqual({ kind: 'record-needs-line', source: 'movement', recordId: 'm-1', statementId: 'st-2', line: 1 });
    expect(codeOf(() => manualPair(atBank, { source: 'credit', recordId: 'c-1', line: null }))).toBe('VALIDATION_FAILED');
    for (const type of ['AMOUNT_MISMATCH', 'BALANCE_BREAK', 'STATEMENT_GAP', 'STATEMENT_MISSING']) {
      expect(codeOf(() => manualPair(exception({ type, source: 'credit', recordId: 'c-1' }), { source: 'credit', recordId: 'c-2' }))).toBe('RESOLUTION_NOT_APPLICABLE');
    }
  });

  it('matches by hand only the same money: account, direction, currency and exact amount', () => {
    const line = { escrowAccountId: 'a', direction: 'CRDT', amount: '30.00', currency: 'CNY', status: 'BOOK', superseded: false };
    const record = { escrowAccountId: 'a', direction: 'CRDT', amount: '30.0', currency: 'CNY' };
    expect(codeOf(() => checkManualPair(line, record))).toBeNull();
    expect(codeOf(() => checkManualPair(line, { ...record, amount: '30.01' }))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => checkManualPair(line, { ...record, direction: 'DBIT' }))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => checkManualPair(line, { ...record, escrowAccountId: 'b' }))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => checkManualPair({ ...line, status: 'PDNG' }, record))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => checkManualPair({ ...line, superseded: true }, record))).toBe('RESOLUTION_NOT_APPLICABLE');
  });

  it('applies as a credit only a booked CRDT line missing in the ledger', () => {
    const line = { direction: 'CRDT', status: 'BOOK', superseded: false };
    expect(codeOf(() => checkApplyCredit(exception(), line))).toBeNull();
    expect(codeOf(() => checkApplyCredit(exception(), { ...line, direction: 'DBIT' }))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => checkApplyCredit(exception({ type: 'DUPLICATE_AT_BANK' }), line))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => checkApplyCredit(exception(), { ...line, superseded: true }))).toBe('RESOLUTION_NOT_APPLICABLE');
  });

  it('adjusts by the effect (bank − ledger), never by zero', () => {
    expect(adjustmentAmount(exception({ effect: '-12.34' })).toString()).toBe('-12.34');
    expect(codeOf(() => adjustmentAmount(exception({ type: 'STATEMENT_GAP', effect: '0.00' })))).toBe('RESOLUTION_NOT_APPLICABLE');
  });

  it('needs a second person, once', () => {
    expect(codeOf(() => checkApproval({ proposed_by: 'k1', approved_by: null }, 'k2'))).toBeNull();
    expect(codeOf(() => checkApproval({ proposed_by: 'k1', approved_by: null }, 'k1'))).toBe('ADJUSTMENT_SAME_PERSON');
    expect(codeOf(() => checkApproval({ proposed_by: 'k1', approved_by: 'k2' }, 'k3'))).toBe('ADJUSTMENT_ALREADY_APPROVED');
  });

  it('knows what a reversal undoes, and refuses to reverse a reversal or a supersession', () => {
    expect(['manual_match', 'apply_credit', 'auto_match', 'adjustment', 'timing_difference'].map(reversalEffect)).toEqual(['match', 'match', 'match', 'adjustment', 'none']);
    expect(codeOf(() => reversalEffect('reversal'))).toBe('RESOLUTION_NOT_APPLICABLE');
    expect(codeOf(() => reversalEffect('superseded'))).toBe('RESOLUTION_NOT_APPLICABLE');
  });
});
