import Decimal from 'decimal.js';
import { AppliedPolicy, balanceBelowFloor, canMove, coverageBelowOne, outflowAboveLimit, Position, singleMovementAbovePercent, weekStart } from '@modules/alerts/alert-rules';
import { breakOf } from '@modules/ledger/ledger-chain';

/** Two jurisdictions with different figures (nothing in the rules names a city). */
const JURISDICTIONS: AppliedPolicy[] = [
  { code: '330100', version: 3, alerts: { balanceFloor: '300000.00', newInstitutionBalanceFloor: '100000.00', dailyOutflow: '1000000.00', weeklyOutflow: '2000000.00', singleMovementPercent: 10 } },
  { code: '440100', version: 1, alerts: { balanceFloor: '500000.00', newInstitutionBalanceFloor: '200000.00', dailyOutflow: '800000.00', weeklyOutflow: '1500000.00', singleMovementPercent: 15, newInstitutionMonths: 6 } },
];
/** `amount` moved by `delta` fen. */
const money = (amount: string, delta: number) => new Decimal(amount).plus(new Decimal(delta).div(100)).toFixed(2);

describe.each(JURISDICTIONS)('alert rules of jurisdiction $code', (policy) => {
  const position = (bankCash: string, registeredOn: string): Position => ({ institutionId: 'i', districtCode: policy.code, currency: 'CNY', bankCash, obligations: '0.00', registeredOn });

  it.each([
    [-1, true],
    [0, false],
    [1, false],
  ])('balance floor: a fen off %i from the floor alerts: %s (established and new institutions)', (delta, alerts) => {
    const established = balanceBelowFloor(position(money(policy.alerts.balanceFloor, delta), '2020-01-01'), policy, '2026-12-02');
    expect(Boolean(established)).toBe(alerts);
    if (established) expect(established).toMatchObject({ type: 'BALANCE_BELOW_FLOOR', figures: { floor: policy.alerts.balanceFloor, floorKind: 'standard' }, policyCode: policy.code, policyVersion: policy.version });
    const fresh = balanceBelowFloor(position(money(policy.alerts.newInstitutionBalanceFloor, delta), '2026-11-01'), policy, '2026-12-02');
    expect(Boolean(fresh)).toBe(alerts);
    if (fresh) expect(fresh.figures).toMatchObject({ floor: policy.alerts.newInstitutionBalanceFloor, floorKind: 'new_institution' });
  });

  it('an institution is new for the policy\'s months (default 12), then has the standard floor', () => {
    const months = policy.alerts.newInstitutionMonths ?? 12;
    const cash = money(policy.alerts.newInstitutionBalanceFloor, 0);
    const registered = '2025-01-15';
    const lastNewDay = `${2025 + Math.floor(months / 12)}-${String(1 + (months % 12)).padStart(2, '0')}-14`;
    const firstEstablishedDay = `${lastNewDay.slice(0, 8)}15`;
    expect(balanceBelowFloor(position(cash, registered), policy, lastNewDay)).toBeNull();
    expect(balanceBelowFloor(position(cash, registered), policy, firstEstablishedDay)?.figures.floorKind).toBe('standard');
  });

  it.each([
    [-1, false],
    [0, false],
    [1, true],
  ])('outflows: a fen off %i from the daily and weekly limits alerts: %s', (delta, alerts) => {
    const o = (total: string) => ({ institutionId: 'i', districtCode: policy.code, currency: 'CNY', period: '2026-11-30', total });
    const daily = outflowAboveLimit(o(money(policy.alerts.dailyOutflow, delta)), 'daily', policy);
    expect(Boolean(daily)).toBe(alerts);
    if (daily) expect(daily).toMatchObject({ type: 'DAILY_OUTFLOW_ABOVE_LIMIT', conditionKey: 'DAILY_OUTFLOW_ABOVE_LIMIT:i:CNY:2026-11-30', figures: { limit: policy.alerts.dailyOutflow, day: '2026-11-30' } });
    const weekly = outflowAboveLimit(o(money(policy.alerts.weeklyOutflow, delta)), 'weekly', policy);
    expect(Boolean(weekly)).toBe(alerts);
    if (weekly) expect(weekly).toMatchObject({ type: 'WEEKLY_OUTFLOW_ABOVE_LIMIT', figures: { limit: policy.alerts.weeklyOutflow, weekStarting: '2026-11-30' } });
  });

  it.each([
    [-1, false],
    [0, false],
    [1, true],
  ])('single movement: a fen off %i from the percentage of the balance alerts: %s', (delta, alerts) => {
    // 123,456.78 × the percentage is not a whole number of fen for every percentage: the threshold is exact,
    // so the largest amount that does not alert is the share rounded down, and the next fen alerts.
    const balance = '123456.78';
    const share = new Decimal(balance).mul(policy.alerts.singleMovementPercent).div(100);
    const notAbove = share.toDecimalPlaces(2, Decimal.ROUND_DOWN);
    const amount = delta < 0 ? notAbove.minus('0.01') : delta === 0 ? notAbove : notAbove.plus('0.01');
    const mv = { movementId: 'm', institutionId: 'i', districtCode: policy.code, currency: 'CNY', balanceBefore: balance, amount: amount.toFixed(2) };
    expect(Boolean(singleMovementAbovePercent(mv, policy))).toBe(alerts);
    // And on a balance whose share is whole fen, the share itself does not alert.
    const round = { ...mv, balanceBefore: '100000.00', amount: money(new Decimal('100000.00').mul(policy.alerts.singleMovementPercent).div(100).toFixed(2), delta) };
    expect(Boolean(singleMovementAbovePercent(round, policy))).toBe(alerts);
  });
});

describe('coverage and states', () => {
  const p = (bankCash: string, obligations: string): Position => ({ institutionId: 'i', districtCode: '310117', currency: 'CNY', bankCash, obligations, registeredOn: '2020-01-01' });
  it('coverage below 1 alerts a fen below the obligations, not at or above them, and never when nothing is owed', () => {
    expect(coverageBelowOne(p('999.99', '1000.00'))).toMatchObject({ severity: 'critical', figures: { coverage: '0.9999', shortfall: '0.01' } });
    expect(coverageBelowOne(p('1000.00', '1000.00'))).toBeNull();
    expect(coverageBelowOne(p('1000.01', '1000.00'))).toBeNull();
    expect(coverageBelowOne(p('0.00', '0.00'))).toBeNull();
  });
  it('weeks start on Monday', () => {
    expect(['2026-11-30', '2026-12-02', '2026-12-06'].map(weekStart)).toEqual(['2026-11-30', '2026-11-30', '2026-11-30']);
    expect(weekStart('2026-12-07')).toBe('2026-12-07');
  });
  it('open → acknowledged → resolved; open → resolved; nothing back', () => {
    expect(canMove('open', 'acknowledged')).toBe(true);
    expect(canMove('open', 'resolved')).toBe(true);
    expect(canMove('acknowledged', 'resolved')).toBe(true);
    expect(canMove('acknowledged', 'acknowledged')).toBe(false);
    expect(canMove('resolved', 'acknowledged')).toBe(false);
    expect(canMove('resolved', 'open')).toBe(false);
  });
});

describe('ledger chain link check', () => {
  const row = { id: '7', seq: '3', prev: 'aa', hash: 'bb', recomputed: 'bb' };
  it('names a changed content, a broken link and a gap', () => {
    expect(breakOf(1, row, 'aa', '2')).toBeNull();
    expect(breakOf(1, { ...row, recomputed: 'cc' }, 'aa', '2')?.reason).toBe('content_changed');
    expect(breakOf(1, row, 'ab', '2')?.reason).toBe('link_broken');
    expect(breakOf(1, row, 'aa', '1')?.reason).toBe('link_broken');
  });
});
