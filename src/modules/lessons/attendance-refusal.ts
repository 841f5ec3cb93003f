import { ErrorCode } from '@common/errors/error-codes';
import { Money } from '@common/money/money';
import { lessonAmount } from '@modules/contracts/contract-rules';
import { ContractForConsumption } from '@modules/contracts/contract.types';

export interface AttendeeFailure {
  contractId: string;
  code: ErrorCode;
  message: string;
}

/**
 * Why this (locked) contract may not consume its next lesson in this session, or null. One rule
 * for a session registered alone and for single attendances registered together (group commit).
 */
export function attendanceRefusal(
  c: ContractForConsumption | undefined,
  id: string,
  institutionId: string,
  courseId: string,
  deliveredOn: string,
  alreadyRecorded: boolean,
): AttendeeFailure | null {
  if (!c || c.institution_id !== institutionId) return { contractId: id, code: 'CONTRACT_NOT_FOUND', message: 'No such contract of this institution' };
  if (alreadyRecorded) return null;
  // Checked first: a contract whose lessons are all consumed (and released) is `completed`, and this says why.
  if (c.lessons_consumed >= c.lessons) return { contractId: id, code: 'NO_LESSONS_REMAINING', message: `All ${c.lessons} lessons are consumed` };
  if (c.state !== 'active') return { contractId: id, code: 'CONTRACT_NOT_ACTIVE', message: `The contract is ${c.state}; lessons need an active (paid) contract` };
  // Whatever the cadence, a lesson is consumed only when paid for (a contract paid in instalments pays as it goes).
  const next = lessonAmount(Money.fromDb(c.total_price, c.currency), c.lessons, c.lessons_consumed, Money.fromDb(c.amount_consumed, c.currency));
  if (Money.fromDb(c.amount_consumed, c.currency).plus(next).gt(Money.fromDb(c.amount_paid, c.currency))) {
    return { contractId: id, code: 'LESSONS_NOT_PAID', message: `The next lesson (${next}) is beyond what was paid in (${c.amount_paid})` };
  }
  if (c.course_id !== courseId) return { contractId: id, code: 'COURSE_MISMATCH', message: 'The contract is for another course' };
  if (deliveredOn < c.start_date) return { contractId: id, code: 'BEFORE_CONTRACT_START', message: `The contract starts on ${c.start_date}` };
  return null;
}
