import { canApply, CONTRACT_EVENTS, CONTRACT_STATES, ContractEvent, nextContractState, PAYABLE_STATES } from '@modules/contracts/contract-state-machine';

describe('contract state machine', () => {
  it('awaiting payment → active → completed → closed', () => {
    expect(nextContractState('awaiting_payment', 'paid_in_full')).toBe('active');
    expect(nextContractState('active', 'all_lessons_released')).toBe('completed');
    expect(nextContractState('completed', 'close')).toBe('closed');
    expect(nextContractState('active', 'terminate')).toBe('terminated');
    expect(nextContractState('terminated', 'refunded')).toBe('refunded');
    expect(nextContractState('refunded', 'close')).toBe('closed');
  });

  it('refuses the rest with 409 and the allowed events', () => {
    expect(() => nextContractState('awaiting_payment', 'all_lessons_released')).toThrow(
      expect.objectContaining({ code: 'INVALID_CONTRACT_TRANSITION', details: expect.objectContaining({ allowed: ['paid_in_full', 'instalment_paid', 'terminate'] }) }),
    );
    expect(() => nextContractState('completed', 'paid_in_full')).toThrow(/cannot become active/);
    for (const e of Object.keys(CONTRACT_EVENTS) as ContractEvent[]) expect(canApply('closed', e)).toBe(false);
  });

  it('every state is reachable from awaiting payment and only unfinished contracts take payments', () => {
    const reached = new Set<string>(['awaiting_payment']);
    for (let i = 0; i < CONTRACT_STATES.length; i++) {
      for (const e of Object.values(CONTRACT_EVENTS)) if (e.from.some((f) => reached.has(f))) reached.add(e.to);
    }
    expect([...reached].sort()).toEqual([...CONTRACT_STATES].sort());
    expect(PAYABLE_STATES).toEqual(['awaiting_payment', 'active']);
  });
});
