import { DomainError } from '@common/errors/domain-error';

/**
 * The life of a refund request. Every change of `refunds.state` goes through `REFUND_EVENTS`
 * (the repository's guarded UPDATE uses the `from` list), the deemed-approval job included, so a
 * request is approved at most once whoever gets there first.
 *
 *   requested ──approve | deem──▶ approved ──executed──▶ paid
 *       └──contest──▶ contested ──decide (full, partial)──┘   └──failed──▶ failed ──reinstructed──▶ approved
 *                          └──refuse──▶ refused ◀──lapse (nothing left when deemed)── requested
 */
export const REFUND_STATES = ['requested', 'contested', 'approved', 'refused', 'paid', 'failed'] as const;
export type RefundState = (typeof REFUND_STATES)[number];

export type RefundEvent = 'approve' | 'deem' | 'contest' | 'decide' | 'refuse' | 'lapse' | 'executed' | 'failed' | 'reinstructed';

export const REFUND_EVENTS: Record<RefundEvent, { from: readonly RefundState[]; to: RefundState }> = {
  /** The institution (or an admin) accepts. */
  approve: { from: ['requested'], to: 'approved' },
  /** Silence: the response window passed (the scheduled job). */
  deem: { from: ['requested'], to: 'approved' },
  contest: { from: ['requested'], to: 'contested' },
  /** The district's regulator decides a contested request: full or partial. */
  decide: { from: ['contested'], to: 'approved' },
  refuse: { from: ['contested'], to: 'refused' },
  /** The deemed approval found nothing left to refund (the contract was completed meanwhile): the request ends. */
  lapse: { from: ['requested'], to: 'refused' },
  /** The bank's callback on the refund movement. */
  executed: { from: ['approved'], to: 'paid' },
  failed: { from: ['approved'], to: 'failed' },
  /** A failed refund sent again (a new movement linked to the failed one): approved again, waiting for the bank. */
  reinstructed: { from: ['failed'], to: 'approved' },
};

/** A request still waiting for an answer or a decision (one per contract). */
export const OPEN_STATES: readonly RefundState[] = ['requested', 'contested'];

export function canApplyRefund(state: string, event: RefundEvent): boolean {
  return (REFUND_EVENTS[event].from as readonly string[]).includes(state);
}

/** The next state, or 409 INVALID_REFUND_TRANSITION naming the events allowed from the current one. */
export function nextRefundState(state: string, event: RefundEvent): RefundState {
  if (!canApplyRefund(state, event)) {
    const allowed = (Object.keys(REFUND_EVENTS) as RefundEvent[]).filter((e) => canApplyRefund(state, e));
    throw new DomainError('INVALID_REFUND_TRANSITION', `A refund that is ${state} cannot become ${REFUND_EVENTS[event].to} (${event})`, { state, event, allowed });
  }
  return REFUND_EVENTS[event].to;
}
