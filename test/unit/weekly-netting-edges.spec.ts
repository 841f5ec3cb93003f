import { netWeekly, WeeklyLessons } from '@modules/lessons/weekly-netting';

// Edges of the weekly netting that weekly-netting.spec.ts leaves open (found by mutation testing,
// `npm run test:mutation`).
describe('weekly netting keys and order', () => {
  const weekly = (contract_id: string, escrow_account_id: string, paymentDelayDays: number) => ({
    contract_id,
    escrow_account_id,
    currency: 'CNY',
    cadence: { kind: 'weekly' as const, paymentDelayDays },
  });
  const row = (contract_id: string, institution_id: string, ids: string[], total: string): WeeklyLessons => ({ contract_id, institution_id, week: '2026-12-07', ids, total });

  it('never merges two institutions or accounts whose ids run together', () => {
    const groups = netWeekly([row('c1', 'i1', ['a'], '1.00'), row('c2', 'i1e', ['b'], '2.00')], [weekly('c1', 'e1', 0), weekly('c2', '1', 0)]);
    expect(groups.map((g) => [g.institutionId, g.escrowAccountId, g.total.toString()])).toEqual([
      ['i1e', '1', '2.00'],
      ['i1', 'e1', '1.00'],
    ]);
  });

  it('orders delays as numbers (7 before 14)', () => {
    const groups = netWeekly([row('c14', 'i1', ['b'], '1.00'), row('c7', 'i1', ['a'], '1.00')], [weekly('c14', 'e1', 14), weekly('c7', 'e1', 7)]);
    expect(groups.map((g) => g.delay)).toEqual([7, 14]);
  });

  it('only a weekly cadence delays payment, even if stored terms carry a stray delay', () => {
    const stray = { contract_id: 'c1', escrow_account_id: 'e1', currency: 'CNY', cadence: { kind: 'per_lesson', paymentDelayDays: 5 } as never };
    expect(netWeekly([row('c1', 'i1', ['a'], '1.00')], [stray])[0].delay).toBe(0);
  });
});
