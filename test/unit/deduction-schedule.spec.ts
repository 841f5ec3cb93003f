import { Money } from '@common/money/money';
import { deductionSchedule, periodBounds, splitExactly } from '@modules/deductions/deduction-schedule';
import { canApplyPeriod, requirePeriodEvent } from '@modules/deductions/deduction-period-state-machine';

const amounts = (ps: { amount: Money }[]) => ps.map((p) => p.amount.toString());
const sum = (ps: { amount: Money }[]) => ps.reduce((s, p) => s.plus(p.amount), Money.zero('CNY')).toString();

describe('deduction schedule', () => {
  it('splits 10,000.00 over 3 months exactly: the last period takes the remainder', () => {
    const s = deductionSchedule(Money.parse('10000.00'), '2027-01-01', '2027-03-31', 'monthly');
    expect(s.map((p) => [p.seq, p.periodFrom, p.periodTo, p.dueDate])).toEqual([
      [1, '2027-01-01', '2027-01-31', '2027-02-01'],
      [2, '2027-02-01', '2027-02-28', '2027-03-01'],
      [3, '2027-03-01', '2027-03-31', '2027-04-01'],
    ]);
    expect(amounts(s)).toEqual(['3333.33', '3333.33', '3333.34']);
    expect(sum(s)).toBe('10000.00');
  });

  it('splits 3,333.33 over 7 weeks exactly (and 3,333.34: the remainder goes to the last week)', () => {
    const s = deductionSchedule(Money.parse('3333.33'), '2027-03-01', '2027-04-18', 'weekly');
    expect(s).toHaveLength(7);
    expect(amounts(s)).toEqual(Array(7).fill('476.19'));
    expect(s.map((p) => p.dueDate)).toEqual(['2027-03-08', '2027-03-15', '2027-03-22', '2027-03-29', '2027-04-05', '2027-04-12', '2027-04-19']);
    const t = deductionSchedule(Money.parse('3333.34'), '2027-03-01', '2027-04-18', 'weekly');
    expect(amounts(t)).toEqual([...Array(6).fill('476.19'), '476.20']);
    expect(sum(t)).toBe('3333.34');
  });

  it('31 January + 1 month is 28 February (29 in a leap year); the day comes back in March, counted from the start', () => {
    expect(periodBounds('2027-01-31', '2027-04-29', 'monthly')).toEqual([
      { periodFrom: '2027-01-31', periodTo: '2027-02-27' },
      { periodFrom: '2027-02-28', periodTo: '2027-03-30' },
      { periodFrom: '2027-03-31', periodTo: '2027-04-29' },
    ]);
    expect(periodBounds('2028-01-31', '2028-03-30', 'monthly').map((p) => p.periodFrom)).toEqual(['2028-01-31', '2028-02-29']);
    expect(deductionSchedule(Money.parse('100.00'), '2027-01-31', '2027-04-29', 'monthly').map((p) => p.dueDate)).toEqual(['2027-02-28', '2027-03-31', '2027-04-30']);
  });

  it('a last period shorter than a month ends on the contract end; one day is one period', () => {
    expect(periodBounds('2027-01-15', '2027-03-01', 'monthly')).toEqual([
      { periodFrom: '2027-01-15', periodTo: '2027-02-14' },
      { periodFrom: '2027-02-15', periodTo: '2027-03-01' },
    ]);
    expect(periodBounds('2027-01-15', '2027-01-15', 'weekly')).toEqual([{ periodFrom: '2027-01-15', periodTo: '2027-01-15' }]);
    expect(() => periodBounds('2027-01-15', '2027-01-14', 'weekly')).toThrow(/before the start/);
  });

  it('parts always add up to the total, whatever the total and number of parts', () => {
    for (const total of ['0.01', '0.07', '1.00', '999.99', '10000.00', '123456.78']) {
      for (let n = 1; n <= 13; n++) {
        const parts = splitExactly(Money.parse(total), n);
        expect(parts).toHaveLength(n);
        expect(parts.reduce((s, p) => s.plus(p), Money.zero('CNY')).toString()).toBe(Money.parse(total).toString());
        expect(parts.every((p) => !p.isNegative())).toBe(true);
      }
    }
  });

  it('period states change only by their events', () => {
    expect(canApplyPeriod('scheduled', 'instruct')).toBe(true);
    expect(canApplyPeriod('instructed', 'instruct')).toBe(false);
    expect(canApplyPeriod('objected', 'instruct')).toBe(false);
    expect(canApplyPeriod('deducted', 'cancel')).toBe(false);
    expect(() => requirePeriodEvent('deducted', 'object')).toThrow(expect.objectContaining({ code: 'DEDUCTION_PERIOD_NOT_OPEN' }));
  });
});
