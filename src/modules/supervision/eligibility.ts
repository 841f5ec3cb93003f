/**
 * May an institution sign new contracts (take prepaid fees) today? Every failing reason is
 * returned, not just the first, so a regulator or institution sees the whole picture.
 */
export const ELIGIBILITY_REASONS = [
  'LICENCE_NOT_ACTIVE',
  'LICENCE_EXPIRED',
  'INSPECTION_FAILED',
  'INSPECTION_OVERDUE',
  'NO_ACTIVE_ESCROW_ACCOUNT',
  'ESCROW_FROZEN',
  'INSTITUTION_CLOSING',
] as const;
export type EligibilityReasonCode = (typeof ELIGIBILITY_REASONS)[number];

export interface EligibilityFacts {
  /** YYYY-MM-DD in China Standard Time. */
  today: string;
  institutionStatus: 'operating' | 'closing' | 'closed';
  /** The current licence (active, suspended or expired), if any. */
  licence: { state: string; validFrom: string | null; validTo: string | null } | null;
  /** The most recent annual inspection, if any. */
  latestInspection: { year: number; result: 'pass' | 'conditional' | 'fail'; inspectedOn: string } | null;
  escrow: { state: 'active' | 'frozen' | 'closed' } | null;
}

export interface EligibilityReason {
  code: EligibilityReasonCode;
  message: string;
  details?: Record<string, unknown>;
}

/** One year after `date` (YYYY-MM-DD); 29 February falls back to 28 February. */
export function addOneYear(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const day = m === 2 && d === 29 ? 28 : d;
  return `${String(y + 1).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

type InspectionFacts = Pick<EligibilityFacts, 'licence' | 'latestInspection'>;

/**
 * The one due-date rule: an inspection is due one year after the last one, or, for an
 * institution never inspected, one year after its licence took effect. Eligibility and the
 * daily supervision run both call this (nothing computes it in SQL).
 */
export function inspectionDueDate(facts: InspectionFacts): string | null {
  const base = facts.latestInspection?.inspectedOn ?? facts.licence?.validFrom ?? null;
  return base ? addOneYear(base) : null;
}

/** The due date when the inspection is overdue on `today` (due strictly before it), else null. */
export function inspectionOverdueSince(facts: InspectionFacts, today: string): string | null {
  const due = inspectionDueDate(facts);
  return due !== null && due < today ? due : null;
}

export function eligibilityReasons(f: EligibilityFacts): EligibilityReason[] {
  const reasons: EligibilityReason[] = [];
  if (!f.licence || f.licence.state === 'suspended' || (f.licence.state !== 'active' && f.licence.state !== 'expired')) {
    reasons.push({ code: 'LICENCE_NOT_ACTIVE', message: 'No active licence', details: { state: f.licence?.state ?? null } });
  } else if (f.licence.state === 'expired' || (f.licence.validTo !== null && f.licence.validTo < f.today)) {
    reasons.push({ code: 'LICENCE_EXPIRED', message: 'The licence has expired', details: { validTo: f.licence.validTo } });
  }
  if (f.latestInspection?.result === 'fail') {
    reasons.push({ code: 'INSPECTION_FAILED', message: 'The latest annual inspection failed', details: { year: f.latestInspection.year } });
  }
  const due = inspectionOverdueSince(f, f.today);
  if (due !== null) {
    reasons.push({ code: 'INSPECTION_OVERDUE', message: 'The annual inspection is overdue', details: { dueOn: due } });
  }
  if (!f.escrow || f.escrow.state === 'closed') {
    reasons.push({ code: 'NO_ACTIVE_ESCROW_ACCOUNT', message: 'No active escrow account is filed' });
  } else if (f.escrow.state === 'frozen') {
    reasons.push({ code: 'ESCROW_FROZEN', message: 'The escrow account is frozen by the regulator' });
  }
  if (f.institutionStatus !== 'operating') {
    reasons.push({ code: 'INSTITUTION_CLOSING', message: `The institution is ${f.institutionStatus}` });
  }
  return reasons;
}
