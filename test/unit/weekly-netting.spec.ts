import { netWeekly, WeeklyLessons } from '@modules/lessons/weekly-netting';

const weekly = (contract_id: string, escrow_account_id: string, paymentDelayDays: number, currency = 'CNY') => ({
  contract_id,
  escrow_account_id,
  currency,
  cadence: { kind: 'weekly' as const, paymentDelayDays },
});
const row = (contract_id: string, institution_id: string, week: string, ids: string[], total: string): WeeklyLessons => ({ contract_id, institution_id, week, ids, total });

describe('netting a week of released lessons', () => {
  it('one group per institution, escrow account, currency, week and delay, ids sorted, totals exact', () => {
    const terms = [weekly('c1', 'e1', 7), weekly('c2', 'e1', 7), weekly('c3', 'e1', 3), weekly('c4', 'e2', 7, 'HKD')];
    const groups = netWeekly(
      [
        row('c2', 'i1', '2026-12-07', ['b2', 'f2'], '0.10'),
        row('c1', 'i1', '2026-12-07', ['a1', 'c1'], '0.20'),
        row('c1', 'i1', '2026-11-30', ['d1'], '33.33'),
        row('c3', 'i1', '2026-12-07', ['e3'], '1.00'),
        row('c4', 'i2', '2026-12-07', ['a4'], '5.00'),
      ],
      terms,
    );
    expect(groups.map((g) => ({ ...g, total: g.total.toString(), currency: g.total.currency }))).toEqual([
      { institutionId: 'i1', escrowAccountId: 'e1', week: '2026-11-30', delay: 7, ids: ['d1'], total: '33.33', currency: 'CNY' },
      { institutionId: 'i1', escrowAccountId: 'e1', week: '2026-12-07', delay: 3, ids: ['e3'], total: '1.00', currency: 'CNY' },
      // Two contracts of one institution at one account: one movement, 0.10 + 0.20 exactly.
      { institutionId: 'i1', escrowAccountId: 'e1', week: '2026-12-07', delay: 7, ids: ['a1', 'b2', 'c1', 'f2'], total: '0.30', currency: 'CNY' },
      { institutionId: 'i2', escrowAccountId: 'e2', week: '2026-12-07', delay: 7, ids: ['a4'], total: '5.00', currency: 'HKD' },
    ]);
  });

  it('a contract signed under another cadence pays without delay; a lesson without its contract is an error', () => {
    const perLesson = { contract_id: 'c9', escrow_account_id: 'e9', currency: 'CNY', cadence: { kind: 'per_lesson' as const } };
    expect(netWeekly([row('c9', 'i9', '2026-12-07', ['x'], '1.00')], [perLesson])[0].delay).toBe(0);
    expect(() => netWeekly([row('c8', 'i9', '2026-12-07', ['x'], '1.00')], [perLesson])).toThrow(/c8/);
    expect(netWeekly([], [])).toEqual([]);
  });
});
