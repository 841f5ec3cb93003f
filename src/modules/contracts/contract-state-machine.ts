import { DomainError } from '@common/errors/domain-error';

/**
 * The life of a contract. Every change of `contracts.state` goes through `CONTRACT_EVENTS`
 * (the repository's guarded UPDATE uses the `from` list), jobs included.
 *
 *   awaiting_payment ──paid_in_full (or instalment_paid)──▶ active ──all_lessons_released──▶ completed ──close──▶ closed
 *          └─────────────terminate──────────┴──▶ terminated ──refunded──▶ refunded ──close──┘
 */
export const CONTRACT_STATES = ['awaiting_payment', 'active', 'completed', 'terminated', 'refunded', 'closed'] as const;
export type ContractState = (typeof CONTRACT_STATES)[number];

export type ContractEvent = 'paid_in_full' | 'instalment_paid' | 'all_lessons_released' | 'terminate' | 'refunded' | 'close';

export const CONTRACT_EVENTS: Record<ContractEvent, { from: readonly ContractState[]; to: ContractState }> = {
  paid_in_full: { from: ['awaiting_payment'], to: 'active' },
  /** A contract sold in instalments starts with its first instalment paid. */
  instalment_paid: { from: ['awaiting_payment'], to: 'active' },
  all_lessons_released: { from: ['active'], to: 'completed' },
  terminate: { from: ['awaiting_payment', 'active'], to: 'terminated' },
  refunded: { from: ['terminated'], to: 'refunded' },
  close: { from: ['completed', 'refunded'], to: 'closed' },
};

/** A bank credit may fund a contract in these states (a partial payment first, then the rest). */
export const PAYABLE_STATES: readonly ContractState[] = ['awaiting_payment', 'active'];

export function canApply(state: string, event: ContractEvent): boolean {
  return (CONTRACT_EVENTS[event].from as readonly string[]).includes(state);
}

/** The next state, or 409 CONFLICT naming the events allowed from the current one. */
export function nextContractState(state: string, event: ContractEvent): ContractState {
  if (!canApply(state, event)) {
    const allowed = (Object.keys(CONTRACT_EVENTS) as ContractEvent[]).filter((e) => canApply(state, e));
    throw new DomainError('INVALID_CONTRACT_TRANSITION', `A contract that is ${state} cannot become ${CONTRACT_EVENTS[event].to}`, { state, event, allowed });
  }
  return CONTRACT_EVENTS[event].to;
}
