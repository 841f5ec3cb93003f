import { DomainError } from '@common/errors/domain-error';

/**
 * The life of a deduction period. Every change of `deduction_periods.state` goes through
 * `PERIOD_EVENTS` (the repository's guarded UPDATE uses the `from` list), the daily job included.
 *
 *   scheduled ──instruct──▶ instructed ──executed──▶ deducted
 *     │  ▲                      └──failed──▶ failed ──reinstructed──▶ instructed
 *     │  └──release (decision)──┐
 *     └──object──▶ objected ────┴──withhold (decision)──▶ withheld
 *   scheduled / objected / withheld ──cancel (a refund)──▶ cancelled
 */
export const PERIOD_STATES = ['scheduled', 'objected', 'instructed', 'deducted', 'failed', 'withheld', 'cancelled'] as const;
export type PeriodState = (typeof PERIOD_STATES)[number];

export type PeriodEvent = 'instruct' | 'object' | 'release' | 'withhold' | 'executed' | 'failed' | 'reinstructed' | 'cancel';

export const PERIOD_EVENTS: Record<PeriodEvent, { from: readonly PeriodState[]; to: PeriodState }> = {
  instruct: { from: ['scheduled'], to: 'instructed' },
  object: { from: ['scheduled'], to: 'objected' },
  release: { from: ['objected'], to: 'scheduled' },
  withhold: { from: ['objected'], to: 'withheld' },
  executed: { from: ['instructed'], to: 'deducted' },
  failed: { from: ['instructed'], to: 'failed' },
  reinstructed: { from: ['failed'], to: 'instructed' },
  cancel: { from: ['scheduled', 'objected', 'withheld'], to: 'cancelled' },
};

/** Periods whose money left the contract's held funds for the institution (instructed, executed, or failed at the bank and owed). */
export const TAKEN_STATES: readonly PeriodState[] = ['instructed', 'deducted', 'failed'];

export function canApplyPeriod(state: string, event: PeriodEvent): boolean {
  return (PERIOD_EVENTS[event].from as readonly string[]).includes(state);
}

/** 409 DEDUCTION_PERIOD_NOT_OPEN naming the state and what it allows, unless the event applies. */
export function requirePeriodEvent(state: string, event: PeriodEvent): void {
  if (canApplyPeriod(state, event)) return;
  const allowed = (Object.keys(PERIOD_EVENTS) as PeriodEvent[]).filter((e) => canApplyPeriod(state, e));
  throw new DomainError('DEDUCTION_PERIOD_NOT_OPEN', `A period that is ${state} cannot be changed by ${event}`, { state, event, allowed });
}
