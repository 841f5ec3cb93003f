import { addOneYear, EligibilityFacts, eligibilityReasons, inspectionDueDate, inspectionOverdueSince } from '@modules/supervision/eligibility';

const ok: EligibilityFacts = {
  today: '2026-11-22',
  institutionStatus: 'operating',
  licence: { state: 'active', validFrom: '2025-01-01', validTo: '2027-12-31' },
  latestInspection: { year: 2026, result: 'pass', inspectedOn: '2026-03-01' },
  escrow: { state: 'active' },
};
const codes = (f: Partial<EligibilityFacts>) => eligibilityReasons({ ...ok, ...f }).map((r) => r.code);

describe('eligibility', () => {
  it('an institution with everything in order is eligible', () => {
    expect(codes({})).toEqual([]);
  });

  it.each([
    ['no licence', { licence: null }, 'LICENCE_NOT_ACTIVE'],
    ['licence under review', { licence: { state: 'under_review', validFrom: null, validTo: null } }, 'LICENCE_NOT_ACTIVE'],
    ['licence suspended', { licence: { state: 'suspended', validFrom: '2025-01-01', validTo: '2027-12-31' } }, 'LICENCE_NOT_ACTIVE'],
    ['licence expired by state', { licence: { state: 'expired', validFrom: '2024-01-01', validTo: '2025-12-31' } }, 'LICENCE_EXPIRED'],
    ['licence past its date, job not yet run', { licence: { state: 'active', validFrom: '2024-01-01', validTo: '2026-11-21' } }, 'LICENCE_EXPIRED'],
    ['inspection failed', { latestInspection: { year: 2026, result: 'fail' as const, inspectedOn: '2026-03-01' } }, 'INSPECTION_FAILED'],
    ['inspection overdue', { latestInspection: { year: 2025, result: 'pass' as const, inspectedOn: '2025-11-21' } }, 'INSPECTION_OVERDUE'],
    ['never inspected, licensed over a year ago', { latestInspection: null }, 'INSPECTION_OVERDUE'],
    ['no escrow account', { escrow: null }, 'NO_ACTIVE_ESCROW_ACCOUNT'],
    ['escrow closed', { escrow: { state: 'closed' as const } }, 'NO_ACTIVE_ESCROW_ACCOUNT'],
    ['escrow frozen', { escrow: { state: 'frozen' as const } }, 'ESCROW_FROZEN'],
    ['institution closing', { institutionStatus: 'closing' as const }, 'INSTITUTION_CLOSING'],
  ])('%s → %s', (_name, facts, code) => {
    expect(codes(facts as Partial<EligibilityFacts>)).toEqual([code]);
  });

  it('lists every reason at once', () => {
    expect(codes({ licence: null, latestInspection: { year: 2026, result: 'fail', inspectedOn: '2026-03-01' }, escrow: { state: 'frozen' }, institutionStatus: 'closing' })).toEqual([
      'LICENCE_NOT_ACTIVE',
      'INSPECTION_FAILED',
      'ESCROW_FROZEN',
      'INSTITUTION_CLOSING',
    ]);
  });

  it('inspection due exactly one year later is not yet overdue on that day', () => {
    expect(codes({ latestInspection: { year: 2025, result: 'pass', inspectedOn: '2025-11-22' } })).toEqual([]);
    expect(addOneYear('2024-02-29')).toBe('2025-02-28');
  });

  describe('the inspection due date (the one rule; the daily job uses it too)', () => {
    const licence = { state: 'active', validFrom: '2025-06-01', validTo: '2028-05-31' };
    it('is one year after the last inspection', () => {
      expect(inspectionDueDate({ licence, latestInspection: { year: 2026, result: 'pass', inspectedOn: '2026-03-15' } })).toBe('2027-03-15');
    });
    it('is one year after the licence took effect when never inspected', () => {
      expect(inspectionDueDate({ licence, latestInspection: null })).toBe('2026-06-01');
    });
    it('is unknown without a licence or an inspection', () => {
      expect(inspectionDueDate({ licence: null, latestInspection: null })).toBeNull();
      expect(inspectionDueDate({ licence: { state: 'active', validFrom: null, validTo: null }, latestInspection: null })).toBeNull();
    });
    it('turns 29 February into 28 February', () => {
      expect(inspectionDueDate({ licence, latestInspection: { year: 2024, result: 'pass', inspectedOn: '2024-02-29' } })).toBe('2025-02-28');
    });
    it('is overdue only after the due day', () => {
      const facts = { licence, latestInspection: null };
      expect(inspectionOverdueSince(facts, '2026-06-01')).toBeNull();
      expect(inspectionOverdueSince(facts, '2026-06-02')).toBe('2026-06-01');
      expect(inspectionOverdueSince({ licence: null, latestInspection: null }, '2030-01-01')).toBeNull();
    });
  });
});
