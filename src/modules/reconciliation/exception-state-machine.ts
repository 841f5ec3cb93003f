import { DomainError } from '@common/errors/domain-error';

/**
 * The life of a reconciliation exception. Every change of `state` goes through `transition` (or,
 * for a guarded UPDATE, through the `from` list), so the allowed moves are written once:
 *
 *   open ──(a resolution, or the system matching it)──▶ resolved ──(a reversal, or the cause recurring)──▶ open
 *   open ──(timing_difference)──▶ accepted ──(the system matching it later, or a resolution that clears it)──▶ resolved
 *   accepted ──(reversal of the timing resolution)──▶ open
 *
 * `accepted` is a timing difference a person acknowledged but that has not cleared: the money
 * difference still exists, so its effect keeps explaining the balance and later runs still try to
 * match it (it is not `resolved`); it no longer makes its day `broken`.
 */
export const EXCEPTION_STATES = ['open', 'accepted', 'resolved'] as const;
export type ExceptionState = (typeof EXCEPTION_STATES)[number];

/** Not cleared yet: their effects explain the balance, and runs try to match their lines and records. */
export const OUTSTANDING_STATES: readonly ExceptionState[] = ['open', 'accepted'];

export const EXCEPTION_TRANSITIONS: Record<ExceptionState, { from: readonly ExceptionState[] }> = {
  accepted: { from: ['open'] },
  resolved: { from: ['open', 'accepted'] },
  open: { from: ['resolved', 'accepted'] },
};

export function canTransition(state: string, to: ExceptionState): boolean {
  return (EXCEPTION_TRANSITIONS[to].from as readonly string[]).includes(state);
}

/** The next state, or 409 INVALID_EXCEPTION_TRANSITION. */
export function transition(state: string, to: ExceptionState): ExceptionState {
  if (!canTransition(state, to)) {
    throw new DomainError('INVALID_EXCEPTION_TRANSITION', `A reconciliation exception that is ${state} cannot become ${to}`, { state, to });
  }
  return to;
}
