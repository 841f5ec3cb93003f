import { DomainError } from '@common/errors/domain-error';

/**
 * The life of a money movement at the bank. Every change of `state` goes through `transition`
 * (or, for a guarded UPDATE, through the `from` list of `MOVEMENT_EVENTS`), so the allowed
 * moves are written once. Dead-lettering is a flag beside the state (the movement stays
 * deliverable for an admin's redelivery), not a state of its own.
 *
 *   pending ──wait──▶ queued ──(attempt)──▶ sent ──▶ acknowledged ──▶ executed | failed
 *      └──────────────(attempt)───────────────┘            (executed | failed from any live state)
 */
export const MOVEMENT_STATES = ['pending', 'queued', 'sent', 'acknowledged', 'executed', 'failed'] as const;
export type MovementState = (typeof MOVEMENT_STATES)[number];

export type MovementEvent = 'wait_for_endpoint' | 'attempt_failed' | 'acknowledged' | 'endpoint_gone' | 'executed' | 'failed';

export const MOVEMENT_EVENTS: Record<MovementEvent, { from: readonly MovementState[]; to: MovementState }> = {
  /** The bank has no usable endpoint (none, no secret, or disabled): park it until one is enabled. */
  wait_for_endpoint: { from: ['pending'], to: 'queued' },
  /** A delivery attempt the bank did not accept (a retry follows, or the dead-letter flag). */
  attempt_failed: { from: ['pending', 'queued', 'sent'], to: 'sent' },
  /** The bank answered 2xx: it has the instruction. */
  acknowledged: { from: ['pending', 'queued', 'sent'], to: 'acknowledged' },
  /** 410 Gone: the endpoint is disabled, the movement waits for it. */
  endpoint_gone: { from: ['pending', 'queued', 'sent'], to: 'queued' },
  /** The bank's callbacks: possible as soon as the bank may have it (a callback can overtake our record of the 2xx). */
  executed: { from: ['pending', 'queued', 'sent', 'acknowledged'], to: 'executed' },
  failed: { from: ['pending', 'queued', 'sent', 'acknowledged'], to: 'failed' },
};

/** States in which delivery attempts are made (and in which the dead-letter flag may be set). */
export const DELIVERABLE_STATES: readonly MovementState[] = ['pending', 'queued', 'sent'];

export function isDeliverable(state: string): boolean {
  return (DELIVERABLE_STATES as readonly string[]).includes(state);
}

export function canTransition(state: string, event: MovementEvent): boolean {
  return (MOVEMENT_EVENTS[event].from as readonly string[]).includes(state);
}

/** The next state, or 409 INVALID_SETTLEMENT_TRANSITION naming the events that are allowed. */
export function transition(state: string, event: MovementEvent): MovementState {
  if (!canTransition(state, event)) {
    const allowed = (Object.keys(MOVEMENT_EVENTS) as MovementEvent[]).filter((e) => canTransition(state, e));
    throw new DomainError('INVALID_SETTLEMENT_TRANSITION', `A movement that is ${state} cannot become ${MOVEMENT_EVENTS[event].to}`, { state, event, allowed });
  }
  return MOVEMENT_EVENTS[event].to;
}
