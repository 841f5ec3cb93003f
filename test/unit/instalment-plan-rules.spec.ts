import { Money } from '@common/money/money';
import { instalmentPlanViolations, PlannedInstalment } from '@modules/contracts/instalment-plan-rules';
import { policyRules } from '../support/policy-fixtures';

const m = (s: string) => Money.parse(s);
const rules = policyRules();
const codes = (v: { code: string }[]) => v.map((x) => x.code);

/** A 12-month course (1 January to 31 December 2027, 48 lessons, 12,000.00) in four quarterly instalments. */
const quarterly = (over: Partial<PlannedInstalment>[] = []): PlannedInstalment[] =>
  [
    { coversFrom: '2027-01-01', coversTo: '2027-03-31', lessons: 12, amount: m('3000.00'), collectionDate: '2026-12-01' },
    { coversFrom: '2027-04-01', coversTo: '2027-06-30', lessons: 12, amount: m('3000.00'), collectionDate: '2027-03-01' },
    { coversFrom: '2027-07-01', coversTo: '2027-09-30', lessons: 12, amount: m('3000.00'), collectionDate: '2027-06-01' },
    { coversFrom: '2027-10-01', coversTo: '2027-12-31', lessons: 12, amount: m('3000.00'), collectionDate: '2027-09-01' },
  ].map((p, i) => ({ ...p, ...(over[i] ?? {}) }));

const contract = (over: Partial<Parameters<typeof instalmentPlanViolations>[1]> = {}) => ({
  category: 'non_subject' as const,
  lessons: 48,
  startDate: '2027-01-01',
  endDate: '2027-12-31',
  total: m('12000.00'),
  today: '2026-12-01',
  ...over,
});

describe('instalment plan against the caps, per instalment', () => {
  it('a 12-month course in four quarterly instalments is valid', () => {
    expect(instalmentPlanViolations(rules, contract(), quarterly())).toEqual([]);
  });

  it('three calendar months per instalment pass, one more day fails', () => {
    // 1 December to 28 February is three months; to 1 March is one day more.
    const ok = [{ coversFrom: '2026-12-01', coversTo: '2027-02-28', lessons: 12, amount: m('3000.00'), collectionDate: '2026-12-01' }];
    expect(instalmentPlanViolations(rules, contract({ startDate: '2026-12-01', endDate: '2027-02-28', lessons: 12, total: m('3000.00') }), ok)).toEqual([]);
    const over = [{ ...ok[0], coversTo: '2027-03-01' }];
    expect(codes(instalmentPlanViolations(rules, contract({ startDate: '2026-12-01', endDate: '2027-03-01', lessons: 12, total: m('3000.00') }), over))).toEqual(['PREPAID_PERIOD_EXCEEDED']);
  });

  it('60 lessons per instalment pass, 61 fail', () => {
    const plan = quarterly([{ lessons: 60 }, { lessons: 0 }, { lessons: 0 }, { lessons: 0 }]);
    expect(instalmentPlanViolations(rules, contract({ lessons: 60 }), plan)).toEqual([]);
    const over = quarterly([{ lessons: 61 }, { lessons: 0 }, { lessons: 0 }, { lessons: 0 }]);
    expect(instalmentPlanViolations(rules, contract({ lessons: 61 }), over)).toEqual([expect.objectContaining({ code: 'PREPAID_LESSONS_EXCEEDED', limit: 60, value: 61 })]);
  });

  it('collected exactly one month before its period passes, one day earlier fails; after its first day fails', () => {
    expect(instalmentPlanViolations(rules, contract(), quarterly([{}, { collectionDate: '2027-03-01' }]))).toEqual([]);
    expect(instalmentPlanViolations(rules, contract(), quarterly([{}, { collectionDate: '2027-02-28' }]))).toEqual([
      expect.objectContaining({ code: 'COLLECTION_TOO_EARLY', limit: '2027-03-01', value: '2027-02-28' }),
    ]);
    expect(codes(instalmentPlanViolations(rules, contract(), quarterly([{}, { collectionDate: '2027-04-02' }])))).toEqual(['COLLECTION_TOO_LATE']);
    expect(codes(instalmentPlanViolations(rules, contract({ today: '2026-12-02' }), quarterly()))).toEqual(['COLLECTION_IN_PAST']);
  });

  it('a single payment of 5,000.00 passes for non-subject training, 5,000.01 fails; subject training has no such cap', () => {
    const plan = (a: string, b: string) => quarterly([{ amount: m(a) }, { amount: m(b) }]);
    expect(instalmentPlanViolations(rules, contract({ total: m('14000.00') }), plan('5000.00', '3000.00'))).toEqual([]);
    expect(instalmentPlanViolations(rules, contract({ total: m('14000.01') }), plan('5000.01', '3000.00'))).toEqual([
      expect.objectContaining({ code: 'SINGLE_PAYMENT_EXCEEDED', limit: '5000.00', value: '5000.01' }),
    ]);
    expect(instalmentPlanViolations(rules, contract({ total: m('14000.01'), category: 'subject' }), plan('5000.01', '3000.00'))).toEqual([]);
  });

  it('the plan is whole: no gap, up to the end, lessons and amounts adding up exactly', () => {
    expect(codes(instalmentPlanViolations(rules, contract(), quarterly([{}, { coversFrom: '2027-04-02', collectionDate: '2027-03-02' }])))).toEqual(['INSTALMENT_PLAN_GAP']);
    expect(codes(instalmentPlanViolations(rules, contract({ endDate: '2028-01-31' }), quarterly()))).toEqual(['INSTALMENT_PLAN_GAP']);
    expect(codes(instalmentPlanViolations(rules, contract({ lessons: 49 }), quarterly()))).toEqual(['INSTALMENT_PLAN_LESSONS']);
    expect(codes(instalmentPlanViolations(rules, contract({ total: m('12000.01') }), quarterly()))).toEqual(['INSTALMENT_PLAN_TOTAL']);
    expect(codes(instalmentPlanViolations(rules, contract(), []))).toEqual(['INSTALMENT_PLAN_EMPTY']);
  });
});
