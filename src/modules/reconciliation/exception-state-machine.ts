import { DomainError } from '@common/errors/domain-error';

/**
 * The life of a reconciliation exception. Every change of `state` goes through `transition` (or,
 * for a guarded UPDATE, through the `from` list), so the allowed moves are written once:
 *
 *   open ──(a resolution, or the system matching it)──▶ resolved ──(a reversal, or the cause recurring)──▶ open
 */
export const EXCEPTION_STATES = ['open', 'resolved'] as const;
export type ExceptionState = (typeof EXCEPTION_STATES)[number];

export const EXCEPTION_TRANSITIONS: Record<ExceptionState, { from: readonly ExceptionState[] }> = {
  resolved: { from: ['open'] },
  open: { from: ['resolved'] },
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
