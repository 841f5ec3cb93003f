import { addMonths } from '@common/dates';
import { Money } from '@common/money/money';
import { ContractTerms, policyViolations, releaseCadenceFor } from '@modules/contracts/contract-rules';
import { inheritanceChain, PolicyRules } from '@modules/policies/policy-rules';
import { policyRules } from '../support/policy-fixtures';

const rules: PolicyRules = policyRules({
  priceCaps: [{ category: 'subject', classSizeBand: 'small', maxPricePerHour: '80.00' }],
});
const ok: ContractTerms = {
  category: 'non_subject',
  classSizeBand: 'medium',
  lessonMinutes: 60,
  lessons: 20,
  startDate: '2026-12-01',
  endDate: '2027-02-28',
  total: Money.parse('4000.00'),
  today: '2026-11-22',
};
const codes = (t: Partial<ContractTerms>) => policyViolations(rules, { ...ok, ...t }).map((v) => v.code);

describe('contract policy rules at every boundary', () => {
  it('a contract inside every limit passes', () => expect(codes({})).toEqual([]));

  it('60 lessons pass, 61 fail', () => {
    expect(codes({ lessons: 60 })).toEqual([]);
    expect(policyViolations(rules, { ...ok, lessons: 61 })).toEqual([
      expect.objectContaining({ code: 'PREPAID_LESSONS_EXCEEDED', limit: 60, value: 61 }),
    ]);
  });

  it('three calendar months pass, one more day fails', () => {
    expect(codes({ endDate: '2027-02-28' })).toEqual([]);
    expect(policyViolations(rules, { ...ok, endDate: '2027-03-01' })).toEqual([
      expect.objectContaining({ code: 'PREPAID_PERIOD_EXCEEDED', limit: '2027-02-28', value: '2027-03-01' }),
    ]);
    // From the 31st: three months end on the 30th of the third month.
    expect(codes({ startDate: '2026-10-31', endDate: '2027-01-30', today: '2026-10-20' })).toEqual([]);
    expect(codes({ startDate: '2026-10-31', endDate: '2027-01-31', today: '2026-10-20' })).toEqual(['PREPAID_PERIOD_EXCEEDED']);
  });

  it('5,000.00 passes and 5,000.01 fails for non-subject training; subject training has no such cap', () => {
    expect(codes({ total: Money.parse('5000.00') })).toEqual([]);
    expect(policyViolations(rules, { ...ok, total: Money.parse('5000.01') })).toEqual([
      expect.objectContaining({ code: 'SINGLE_PAYMENT_EXCEEDED', limit: '5000.00', value: '5000.01' }),
    ]);
    expect(codes({ category: 'subject', total: Money.parse('5000.01') })).toEqual([]);
  });

  it('collection no earlier than one month before the start', () => {
    expect(codes({ today: '2026-11-01' })).toEqual([]);
    expect(codes({ today: '2026-10-31' })).toEqual(['COLLECTION_TOO_EARLY']);
  });

  it('guide price per class hour + 10 % (88.00 for 80.00), with the lesson length', () => {
    const subject = { category: 'subject' as const, classSizeBand: 'small' as const, lessons: 10 };
    expect(codes({ ...subject, total: Money.parse('880.00') })).toEqual([]);
    expect(codes({ ...subject, total: Money.parse('880.01') })).toEqual(['PRICE_CAP_EXCEEDED']);
    // 90-minute lessons: 1.5 hours each, so 132.00 per lesson is still 88.00 per hour.
    expect(codes({ ...subject, lessonMinutes: 90, total: Money.parse('1320.00') })).toEqual([]);
  });

  it('lists every violation at once', () => {
    expect(codes({ lessons: 61, endDate: '2027-03-01', total: Money.parse('5000.01'), today: '2026-10-01' })).toEqual([
      'PREPAID_LESSONS_EXCEEDED',
      'PREPAID_PERIOD_EXCEEDED',
      'COLLECTION_TOO_EARLY',
      'SINGLE_PAYMENT_EXCEEDED',
    ]);
  });
});

describe('policy inheritance and dates', () => {
  it('district → city → province → national', () => {
    expect(inheritanceChain('310117')).toEqual(['310117', '310100', '310000', '000000']);
    expect(inheritanceChain('310000')).toEqual(['310000', '000000']);
    expect(inheritanceChain('350203')).toEqual(['350203', '350200', '350000', '000000']);
  });

  it('adds calendar months with end-of-month clamping', () => {
    expect(addMonths('2026-12-01', 3)).toBe('2027-03-01');
    expect(addMonths('2026-11-30', 3)).toBe('2027-02-28');
    expect(addMonths('2027-11-30', 3)).toBe('2028-02-29');
    expect(addMonths('2026-12-01', -1)).toBe('2026-11-01');
  });
});

describe('tranche plan', () => {
  it('30/30/40 at one third, two thirds and the end, adding up exactly', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { tranchePlan } = require('@modules/lessons/tranches') as typeof import('@modules/lessons/tranches');
    const plan = tranchePlan(Money.parse('1000.01'), 10, [
      { atFraction: '1/3', percent: 30 },
      { atFraction: '2/3', percent: 30 },
      { atFraction: '1', percent: 40 },
    ]);
    expect(plan.map((p) => [p.part, p.afterLessons, p.amount.toString()])).toEqual([
      [1, 4, '300.00'],
      [2, 7, '300.00'],
      [3, 10, '400.01'],
    ]);
    expect(Money.sum(plan.map((p) => p.amount)).toString()).toBe('1000.01');
  });
});

describe('the release cadence a contract gets at signing (and at a transfer)', () => {
  it('periodic when the policy names the course kind, else the policy cadence', () => {
    const rules = policyRules({ releaseCadence: { kind: 'per_lesson' }, periodicRelease: { courseKinds: ['time_based'], frequency: 'weekly' } });
    expect(releaseCadenceFor(rules, 'time_based')).toEqual({ kind: 'periodic', frequency: 'weekly' });
    expect(releaseCadenceFor(rules, 'lesson_pack')).toEqual({ kind: 'per_lesson' });
    expect(releaseCadenceFor(policyRules({ releaseCadence: { kind: 'per_lesson' } }), 'time_based')).toEqual({ kind: 'per_lesson' });
  });
});
