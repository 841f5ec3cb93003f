import { DomainError } from '@common/errors/domain-error';

/**
 * The life of an instalment. Every change of `instalments.state` goes through `INSTALMENT_EVENTS`
 * (the repository's guarded UPDATE uses the `from` list), the daily job and the bank's results included.
 *
 *   scheduled ──notify──▶ notified ──instruct──▶ instructed ──executed──▶ paid
 *                                                  ├──retry──▶ retrying ──instruct──▶ instructed
 *                                                  └──fail──▶ failed
 *   scheduled / notified / retrying ──cancel (the payer stops)──▶ cancelled
 */
export const INSTALMENT_STATES = ['scheduled', 'notified', 'instructed', 'retrying', 'paid', 'failed', 'cancelled'] as const;
export type InstalmentState = (typeof INSTALMENT_STATES)[number];

export type InstalmentEvent = 'notify' | 'instruct' | 'executed' | 'retry' | 'fail' | 'reinstructed' | 'cancel';

export const INSTALMENT_EVENTS: Record<InstalmentEvent, { from: readonly InstalmentState[]; to: InstalmentState }> = {
  notify: { from: ['scheduled'], to: 'notified' },
  instruct: { from: ['scheduled', 'notified', 'retrying'], to: 'instructed' },
  executed: { from: ['instructed'], to: 'paid' },
  retry: { from: ['instructed'], to: 'retrying' },
  fail: { from: ['instructed'], to: 'failed' },
  // A failed debit sent again by a regulator: the instalment follows the new movement (and the job sends no retry of its own).
  reinstructed: { from: ['retrying', 'failed'], to: 'instructed' },
  cancel: { from: ['scheduled', 'notified', 'retrying'], to: 'cancelled' },
};

export function canApplyInstalment(state: string, event: InstalmentEvent): boolean {
  return (INSTALMENT_EVENTS[event].from as readonly string[]).includes(state);
}

/** After a failed try: retry while tries are left (the first try plus `retries`), else fail. */
export function afterFailedTry(attempts: number, retries: number): 'retry' | 'fail' {
  return attempts <= retries ? 'retry' : 'fail';
}

export function requireInstalmentEvent(state: string, event: InstalmentEvent): void {
  if (canApplyInstalment(state, event)) return;
  throw new DomainError('CONFLICT', `An instalment that is ${state} cannot be changed by ${event}`, { state, event });
}
