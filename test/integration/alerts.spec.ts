import Decimal from 'decimal.js';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '@common/clock';
import { Money } from '@common/money/money';
import { AlertsRepository } from '@modules/alerts/alerts.repository';
import { AlertsService } from '@modules/alerts/alerts.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { PoliciesService } from '@modules/policies/policies.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { school } from '../support/contract-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const TODAY = '2026-11-22';
/** Two jurisdictions with their own figures (published in the test; nothing in the code names a city). */
const JURISDICTIONS = [
  { district: '310117', alerts: { balanceFloor: '800.00', newInstitutionBalanceFloor: '300.00', dailyOutflow: '300.00', weeklyOutflow: '500.00', singleMovementPercent: 10 } },
  { district: '440106', alerts: { balanceFloor: '900.00', newInstitutionBalanceFloor: '200.00', dailyOutflow: '150.00', weeklyOutflow: '250.00', singleMovementPercent: 25 } },
];
/** `amount` moved by `delta` fen (decimal strings). */
const fen = (amount: string, delta: number) => new Decimal(amount).plus(new Decimal(delta).div(100)).toFixed(2);
const percentOf = (amount: string, percent: number) => new Decimal(amount).mul(percent).div(100).toFixed(2);

describe('risk alerts', () => {
  let t: TestApp;
  let ds: DataSource;
  let alerts: AlertsService;
  let movements: MoneyMovementsService;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '20' } });
    ds = t.app.get<DataSource>(getDataSourceToken());
    alerts = t.app.get(AlertsService);
    movements = t.app.get(MoneyMovementsService);
    t.app.get(Clock).travelTo(new Date(`${TODAY}T04:00:00Z`));
    const policies = t.app.get(PoliciesService);
    for (const j of JURISDICTIONS) {
      const rules = { ...(await policies.resolve(j.district, TODAY)).rules, alerts: j.alerts };
      const res = await t.request('POST', '/policies', { body: { code: j.district, effectiveFrom: TODAY, rules, note: 'alert figures for the test' } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => t.close());

  /** An institution of `district` whose escrow holds `amount` for one contract of `lessons` lessons. */
  const funded = async (district: string, amount: string, lessons = 10) => {
    const s = await school(t, { district });
    const c = await s.contract(lessons, amount);
    return { ...s, contract: c };
  };
  type Funded = Awaited<ReturnType<typeof funded>>;
  let refs = 0;
  const refund = (s: Funded, amount: string) =>
    ds.transaction((m) =>
      movements.instruct(m, {
        kind: 'refund',
        escrowAccountId: s.escrow.id,
        institutionId: s.inst.id,
        contractId: s.contract.id,
        amount: Money.parse(amount),
        payee: { bank: 'BOC-SH', accountNumber: '6217000012345678', accountName: '家长' },
        sourceRef: `alerts-test-${++refs}`,
      }),
    );
  const alertsOf = async (institutionId: string, type?: string) =>
    (await ds.query(`SELECT type, state, figures, policy_code, policy_version FROM alerts WHERE institution_id = $1 AND ($2::text IS NULL OR type = $2) ORDER BY opened_at`, [institutionId, type ?? null])) as {
      type: string;
      state: string;
      figures: Record<string, string>;
      policy_code: string;
      policy_version: number;
    }[];

  describe.each(JURISDICTIONS)('rules at their exact thresholds in $district', (j) => {
    const floors: Funded[] = [];
    const standard: Funded[] = [];
    const daily: Funded[] = [];
    const weekly: Funded[] = [];
    let single: Funded;

    beforeAll(async () => {
      for (const d of [-1, 0, 1]) floors.push(await funded(j.district, fen(j.alerts.newInstitutionBalanceFloor, d), 5));
      for (const d of [-1, 0, 1]) standard.push(await funded(j.district, fen(j.alerts.balanceFloor, d), 10));
      for (const d of [-1, 0, 1]) {
        const s = await funded(j.district, '5000.00', 50);
        await refund(s, '100.00');
        await refund(s, fen(new Decimal(j.alerts.dailyOutflow).minus(100).toFixed(2), d));
        daily.push(s);
      }
      for (const d of [-1, 0, 1]) {
        const s = await funded(j.district, '5000.00', 50);
        await refund(s, fen(j.alerts.weeklyOutflow, d));
        weekly.push(s);
      }
      single = await funded(j.district, '1000.00', 10);
      const share = percentOf('1000.00', j.alerts.singleMovementPercent);
      for (const d of [-1, 0, 1]) await refund(single, fen(share, d));
      await alerts.evaluate();
    }, 120_000);

    it('balance below the floor for new institutions: a fen below alerts, at and above do not', async () => {
      expect(await alertsOf(floors[0].inst.id, 'BALANCE_BELOW_FLOOR')).toEqual([
        {
          type: 'BALANCE_BELOW_FLOOR',
          state: 'open',
          figures: { currency: 'CNY', balance: fen(j.alerts.newInstitutionBalanceFloor, -1), floor: j.alerts.newInstitutionBalanceFloor, floorKind: 'new_institution' },
          policy_code: j.district,
          policy_version: expect.any(Number),
        },
      ]);
      expect(await alertsOf(floors[1].inst.id, 'BALANCE_BELOW_FLOOR')).toEqual([]);
      expect(await alertsOf(floors[2].inst.id, 'BALANCE_BELOW_FLOOR')).toEqual([]);
    });

    it('and the standard floor once the institution is no longer new (13 months later)', async () => {
      for (const s of standard) expect(await alertsOf(s.inst.id, 'BALANCE_BELOW_FLOOR')).toEqual([]);
      await alerts.evaluate(new Date(new Date(`${TODAY}T04:00:00Z`).getTime() + 400 * 86_400_000));
      expect(await alertsOf(standard[0].inst.id, 'BALANCE_BELOW_FLOOR')).toMatchObject([{ figures: { floor: j.alerts.balanceFloor, floorKind: 'standard', balance: fen(j.alerts.balanceFloor, -1) } }]);
      expect(await alertsOf(standard[1].inst.id, 'BALANCE_BELOW_FLOOR')).toEqual([]);
      expect(await alertsOf(standard[2].inst.id, 'BALANCE_BELOW_FLOOR')).toEqual([]);
    });

    it('daily outflow above the limit: a fen above alerts, at and below do not', async () => {
      expect(await alertsOf(daily[0].inst.id, 'DAILY_OUTFLOW_ABOVE_LIMIT')).toEqual([]);
      expect(await alertsOf(daily[1].inst.id, 'DAILY_OUTFLOW_ABOVE_LIMIT')).toEqual([]);
      expect(await alertsOf(daily[2].inst.id, 'DAILY_OUTFLOW_ABOVE_LIMIT')).toMatchObject([
        { state: 'open', figures: { outflow: fen(j.alerts.dailyOutflow, 1), limit: j.alerts.dailyOutflow, currency: 'CNY' }, policy_code: j.district },
      ]);
    });

    it('weekly outflow above the limit: a fen above alerts, at and below do not', async () => {
      expect(await alertsOf(weekly[0].inst.id, 'WEEKLY_OUTFLOW_ABOVE_LIMIT')).toEqual([]);
      expect(await alertsOf(weekly[1].inst.id, 'WEEKLY_OUTFLOW_ABOVE_LIMIT')).toEqual([]);
      expect(await alertsOf(weekly[2].inst.id, 'WEEKLY_OUTFLOW_ABOVE_LIMIT')).toMatchObject([{ figures: { outflow: fen(j.alerts.weeklyOutflow, 1), limit: j.alerts.weeklyOutflow } }]);
    });

    it('a single movement above the percentage of the balance: only the one a fen above', async () => {
      const found = await alertsOf(single.inst.id, 'SINGLE_MOVEMENT_ABOVE_PERCENT');
      const share = percentOf('1000.00', j.alerts.singleMovementPercent);
      expect(found).toMatchObject([{ figures: { amount: fen(share, 1), balanceBefore: '1000.00', percent: String(j.alerts.singleMovementPercent), threshold: share } }]);
    });

    it('evaluating again opens nothing new', async () => {
      const before = (await ds.query(`SELECT count(*)::int AS n FROM alerts`))[0].n;
      expect((await alerts.evaluate()).opened).toEqual([]);
      expect((await ds.query(`SELECT count(*)::int AS n FROM alerts`))[0].n).toBe(before);
    });
  });

  it('coverage below 1: bank cash a fen below what is held alerts (critical), equal or above does not', async () => {
    const ledger = t.app.get(LedgerService);
    const below = await funded('310117', '1000.00');
    const above = await funded('310117', '1000.00');
    const owner = (s: Funded) => ({ escrowAccountId: s.escrow.id, institutionId: s.inst.id, currency: 'CNY' });
    await ds.transaction((m) => ledger.adjust(m, owner(below), Money.parse('-0.01', 'CNY', 'amount', { signed: true }), `adj-${randomUUID()}`, 'bank holds a fen less', null));
    await ds.transaction((m) => ledger.adjust(m, owner(above), Money.parse('0.01'), `adj-${randomUUID()}`, 'bank holds a fen more', null));
    await alerts.evaluate();
    expect(await alertsOf(below.inst.id, 'COVERAGE_BELOW_ONE')).toMatchObject([{ figures: { bankCash: '999.99', obligations: '1000.00', coverage: '0.9999', shortfall: '0.01' } }]);
    expect(await alertsOf(above.inst.id, 'COVERAGE_BELOW_ONE')).toEqual([]);
    expect(await ds.query(`SELECT 1 FROM alerts WHERE type = 'COVERAGE_BELOW_ONE' AND institution_id <> $1`, [below.inst.id])).toEqual([]);
  }, 60_000);

  it('supervision events (refund overdue, dead letters, reconciliation breaks, licences...) become alerts once', async () => {
    const s = await funded('310117', '1000.00');
    const events = t.app.get(SupervisionEventsService);
    await ds.transaction((m) =>
      events.raise(m, { institutionId: s.inst.id, districtCode: '310117', type: 'REFUND_OVERDUE', severity: 'warning', message: 'Refund R overdue', details: { refundId: 'r-1', dueOn: '2026-11-20', amount: '120.00' }, dedupeKey: `t-${randomUUID()}` }),
    );
    await ds.transaction((m) =>
      events.raise(m, { institutionId: s.inst.id, districtCode: '310117', type: 'LEGAL_REPRESENTATIVE_CHANGED', severity: 'info', message: 'not an alert', dedupeKey: `t-${randomUUID()}` }),
    );
    await alerts.evaluate();
    const found = await alertsOf(s.inst.id);
    expect(found).toEqual([{ type: 'REFUND_OVERDUE', state: 'open', figures: { refundId: 'r-1', dueOn: '2026-11-20', amount: '120.00', message: 'Refund R overdue' }, policy_code: null, policy_version: null }]);
    const [row] = await ds.query(`SELECT id FROM alerts WHERE institution_id = $1`, [s.inst.id]);
    await t.request('POST', `/alerts/${row.id}/resolve`, { body: { reason: 'refund paid' } });
    await alerts.evaluate();
    expect(await alertsOf(s.inst.id)).toMatchObject([{ type: 'REFUND_OVERDUE', state: 'resolved' }]);
  }, 60_000);

  it('no duplicate alert under concurrent movements and evaluations', async () => {
    const s = await funded('310117', '5000.00', 50);
    await Promise.all([...Array.from({ length: 12 }, () => refund(s, '30.00')), ...Array.from({ length: 6 }, () => alerts.evaluate())]);
    await alerts.evaluate();
    // One alert, with the figures of the evaluation that first saw the day above its limit (330.00 or 360.00).
    const [only, ...none] = await alertsOf(s.inst.id, 'DAILY_OUTFLOW_ABOVE_LIMIT');
    expect(none).toEqual([]);
    expect(only.state).toBe('open');
    expect(new Decimal(only.figures.outflow).gt(300)).toBe(true);
    // The unique index alone (no evaluation lock): ten transactions opening the same condition at once.
    const repo = t.app.get(AlertsRepository);
    const candidate = { type: 'BALANCE_BELOW_FLOOR', severity: 'warning' as const, institutionId: s.inst.id, districtCode: '310117', conditionKey: `RACE:${s.inst.id}`, figures: {}, policyCode: null, policyVersion: null, once: false };
    const opened = await Promise.all(Array.from({ length: 10 }, () => ds.transaction((m) => repo.open(m, [candidate]))));
    expect(opened.flat()).toHaveLength(1);
  }, 60_000);

  describe('over HTTP: scope, filters, pages, states, audit', () => {
    let a: Funded;
    let b: Funded;
    beforeAll(async () => {
      a = await funded('310117', '100.00', 5);
      b = await funded('440106', '100.00', 5);
      await alerts.evaluate();
    }, 60_000);

    it('a regulator sees its districts only; admin all; institutions and banks 403', async () => {
      const mine = await t.request('GET', `/alerts?institutionId=${a.inst.id}`, { key: a.r1 });
      expect(mine.status).toBe(200);
      expect(mine.body.items).toEqual([
        expect.objectContaining({ type: 'BALANCE_BELOW_FLOOR', severity: 'warning', state: 'open', institutionId: a.inst.id, institutionName: a.inst.name, districtCode: '310117', acknowledgedAt: null, resolvedBy: null }),
      ]);
      expect((await t.request('GET', `/alerts?institutionId=${b.inst.id}`, { key: a.r1 })).body.items).toEqual([]);
      const all = (await t.request('GET', '/alerts?limit=500', { key: a.r1 })).body.items as { districtCode: string }[];
      expect(all.length).toBeGreaterThan(3);
      expect(all.every((x) => x.districtCode === '310117')).toBe(true);
      expect((await t.request('GET', `/alerts?institutionId=${b.inst.id}`)).body.items).toHaveLength(1);
      expect((await t.request('GET', '/alerts', { key: a.instKey })).status).toBe(403);
      expect((await t.request('GET', '/alerts', { key: a.bankKey })).status).toBe(403);
    });

    it('filters by state, severity, type and district, and pages with a cursor', async () => {
      const critical = (await t.request('GET', '/alerts?severity=critical', { key: a.r1 })).body.items as { severity: string }[];
      expect(critical.every((x) => x.severity === 'critical')).toBe(true);
      const typed = (await t.request('GET', '/alerts?type=DAILY_OUTFLOW_ABOVE_LIMIT&state=open', { key: a.r1 })).body.items as { type: string }[];
      expect(typed.length).toBeGreaterThan(0);
      expect(typed.every((x) => x.type === 'DAILY_OUTFLOW_ABOVE_LIMIT')).toBe(true);
      expect((await t.request('GET', '/alerts?districtCode=440106', { key: a.r1 })).body.items).toEqual([]);
      const first = await t.request('GET', '/alerts?limit=2', { key: a.r1 });
      expect(first.body.items).toHaveLength(2);
      const second = await t.request('GET', `/alerts?limit=2&cursor=${first.body.nextCursor}`, { key: a.r1 });
      expect(second.body.items.map((x: { id: string }) => x.id)).not.toContain(first.body.items[0].id);
      expect((await t.request('GET', '/alerts?cursor=nope', { key: a.r1 })).status).toBe(400);
      expect((await t.request('GET', '/alerts?state=closed', { key: a.r1 })).status).toBe(400);
    });

    it('open → acknowledged → resolved with who and why; the audit counts open alerts; other districts 404', async () => {
      const [alert] = (await t.request('GET', `/alerts?institutionId=${a.inst.id}`, { key: a.r1 })).body.items;
      const audit = async () => (await t.request('GET', `/audit/institutions/${a.inst.id}`, { key: a.r1 })).body.institutions[0].openAlerts;
      expect(await audit()).toEqual({ info: 0, warning: 1, critical: 0 });

      expect((await t.request('POST', `/alerts/${alert.id}/acknowledge`, { key: b.r1, body: { reason: 'not mine' } })).status).toBe(404);
      expect((await t.request('POST', `/alerts/${alert.id}/acknowledge`, { key: a.instKey, body: { reason: 'mine' } })).status).toBe(403);
      const ack = await t.request('POST', `/alerts/${alert.id}/acknowledge`, { key: a.r1, body: { reason: 'Called the institution' } });
      expect(ack.status).toBe(200);
      expect(ack.body).toMatchObject({ id: alert.id, state: 'acknowledged', acknowledgedBy: expect.any(String), acknowledgeReason: 'Called the institution', acknowledgedAt: expect.any(String) });
      expect((await t.request('POST', `/alerts/${alert.id}/acknowledge`, { key: a.r1, body: { reason: 'again' } })).body.error.code).toBe('INVALID_ALERT_TRANSITION');
      expect(await audit()).toEqual({ info: 0, warning: 1, critical: 0 });

      const res = await t.request('POST', `/alerts/${alert.id}/resolve`, { key: a.r2, body: { reason: 'Topped up by the sponsor' } });
      expect(res.body).toMatchObject({ state: 'resolved', resolveReason: 'Topped up by the sponsor', acknowledgeReason: 'Called the institution' });
      expect(res.body.resolvedBy).not.toBe(res.body.acknowledgedBy);
      expect((await t.request('POST', `/alerts/${alert.id}/resolve`, { key: a.r1, body: { reason: 'again' } })).status).toBe(409);
      expect(await audit()).toEqual({ info: 0, warning: 0, critical: 0 });
      expect((await t.request('POST', `/alerts/${randomUUID()}/resolve`, { key: a.r1, body: { reason: 'nothing' } })).status).toBe(404);

      // Still below its floor: the next evaluation opens a new alert for the same condition.
      await alerts.evaluate();
      expect(await audit()).toEqual({ info: 0, warning: 1, critical: 0 });
    });
  });
});
