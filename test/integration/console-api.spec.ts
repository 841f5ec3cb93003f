import { chinaDate } from '@common/clock';
import { buildConsoleWorld, ConsoleWorld } from '../support/console-world';
import { startTestApp, TestApp } from '../support/test-app';

/** The two reads added for the pages: the payer's contract and a district's daily flows. */
describe('reads for the console and the parent page', () => {
  let t: TestApp;
  let w: ConsoleWorld;
  beforeAll(async () => {
    t = await startTestApp();
    w = await buildConsoleWorld(t);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('GET /payer/contract: the contract, its lessons and what is still held, with the payer token only', async () => {
    const res = await t.request('GET', '/payer/contract', { key: null, headers: { 'payer-token': w.payerToken } });
    expect(res.status).toBe(200);
    expect(res.body.contract).toMatchObject({ id: w.contractId, totalPrice: '2999.70', lessons: 30, lessonsConsumed: 3, amountConsumed: '299.97', state: 'active' });
    expect(res.body.contract.payerPhone).toBe('136****0000');
    expect(res.body.institutionName).toBe(w.institutionName);
    expect(res.body.courseName).toBe('初中数学');
    expect(res.body.lessons.map((l: { state: string }) => l.state)).toEqual(['confirmed', 'disputed', 'delivered']);
    // One lesson released (confirmed, per-lesson cadence): held = paid in - released, to the cent.
    expect(res.body.funds).toEqual({ paidIn: '2999.70', released: '99.99', refunded: '0.00', held: '2899.71' });
    const ledger = await t.request('GET', `/ledger/contracts/${w.contractId}/balance`);
    expect(ledger.body.held).toBe('2899.71');

    for (const headers of [{}, { 'payer-token': w.revokedPayerToken }, { 'payer-token': 'nope' }] as Record<string, string>[]) {
      const bad = await t.request('GET', '/payer/contract', { key: null, headers });
      expect(bad.status).toBe(401);
      expect(bad.body.error.code).toBe('INVALID_PAYER_TOKEN');
    }
  });

  it('GET /audit/districts/:code/daily-flows: inflows of today equal the credits, every day present, scope and input checked', async () => {
    const res = await t.request('GET', `/audit/districts/${w.district}/daily-flows?days=30`, { key: w.regulatorKey });
    expect(res.status).toBe(200);
    expect(res.body.days).toHaveLength(30);
    const today = chinaDate(new Date());
    expect(res.body.to).toBe(today);
    // Three contracts paid in today: 2999.70 + 2345.67 + 980.00. Nothing left the bank yet.
    expect(res.body.days.find((d: { day: string }) => d.day === today)).toEqual({ day: today, currency: 'CNY', inflow: '6325.37', outflow: '0.00' });
    expect(res.body.days.filter((d: { inflow: string }) => d.inflow !== '0.00')).toHaveLength(1);

    const other = await t.createKey({ role: 'regulator', districts: ['310115'] });
    expect((await t.request('GET', `/audit/districts/${w.district}/daily-flows`, { key: other })).status).toBe(404);
    for (const q of ['days=0', 'days=367', 'days=1e1', 'days=-3', 'days=abc']) {
      const bad = await t.request('GET', `/audit/districts/${w.district}/daily-flows?${q}`);
      expect(bad.status).toBe(400);
    }
    expect((await t.request('GET', '/audit/districts/31011/daily-flows')).status).toBe(400);
  });
});
