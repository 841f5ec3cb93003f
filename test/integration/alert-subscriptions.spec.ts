import { Clock } from '@common/clock';
import { bankReceiver } from '../support/bank-receiver';
import { school } from '../support/contract-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';

// Issue 16: a regulator's endpoint receives every new alert of its districts as a Standard Webhook,
// through the settlement delivery machinery (same signature, retries, 410, dead letter). The
// receivers verify with the `standardwebhooks` package (the issue's `svix` implements the same
// spec; standardwebhooks is the one installed here).
describe('alert subscriptions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
  });
  afterAll(() => t.close());

  const attempts = (subscriptionId: string) =>
    t.db.query<{ attempt: number; status_code: number | null }>(
      `SELECT a.attempt, a.status_code FROM alert_delivery_attempts a JOIN alert_deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = $1 ORDER BY a.at, a.attempt`,
      [subscriptionId],
    );

  it('delivers a new alert signed, retries a failing receiver with the same webhook id, and dead-letters one that never accepts', async () => {
    const s = await school(t, { district: '310117' });
    const other = await school(t, { district: '310115' });
    const flaky = await bankReceiver((n) => (n <= 2 ? { status: 503 } : { status: 202 }));
    const broken = await bankReceiver(() => ({ status: 500 }));
    const elsewhere = await bankReceiver();
    try {
      const sub = await t.request('POST', '/alert-subscriptions', { key: s.r1, body: { url: flaky.url } });
      expect(sub.status).toBe(201);
      expect(sub.body).toMatchObject({ url: flaky.url, districtCodes: ['310117'], disabledAt: null, secret: expect.stringMatching(/^whsec_/) });
      flaky.setSecret(sub.body.secret);
      const dead = (await t.request('POST', '/alert-subscriptions', { key: s.r2, body: { url: broken.url, districtCodes: ['310117'] }, headers: { 'idempotency-key': 'sub-1' } })).body;
      // The idempotency record keeps no secret: a replay answers without it.
      expect(await t.db.query(`SELECT 1 FROM idempotency_keys WHERE response_body::text LIKE $1`, [`%${dead.secret.slice(6, 30)}%`])).toEqual([]);
      broken.setSecret(dead.secret);
      const theirs = (await t.request('POST', '/alert-subscriptions', { key: other.r1, body: { url: elsewhere.url } })).body;
      elsewhere.setSecret(theirs.secret);
      expect((await t.request('POST', '/alert-subscriptions', { key: s.r1, body: { url: flaky.url, districtCodes: ['310115'] } })).status).toBe(404);
      expect((await t.request('GET', '/alert-subscriptions', { key: s.r1 })).body).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);

      // The institution holds nothing: below its floor, one alert, delivered to the district's subscribers only.
      await s.contract(4, '400.00');
      const run = await t.request('POST', '/admin/alerts/evaluation-run', { body: {} });
      expect(run.status).toBe(200);
      const [alert] = (await t.request('GET', `/alerts?institutionId=${s.inst.id}`, { key: s.r1 })).body.items;
      expect(alert.type).toBe('BALANCE_BELOW_FLOOR');

      /** Polls until the expectations of `check` hold (eventually wants a truthy value). */
      const until = (check: () => Promise<void> | void) => eventually(async () => (await check(), true));
      await until(() => expect(flaky.received.length).toBe(3));
      expect(flaky.received.every((r) => r.verified)).toBe(true);
      expect(new Set(flaky.received.map((r) => r.id)).size).toBe(1);
      expect(flaky.received[2].body).toEqual({ type: 'alert.opened', subscriptionId: sub.body.id, alert: expect.objectContaining({ id: alert.id, type: 'BALANCE_BELOW_FLOOR', state: 'open', institutionId: s.inst.id, figures: alert.figures }) });
      await until(async () => expect(await attempts(sub.body.id)).toEqual([{ attempt: 1, status_code: 503 }, { attempt: 2, status_code: 503 }, { attempt: 3, status_code: 202 }]));
      await until(async () =>
        expect(await t.db.query(`SELECT state, attempts, dead_lettered_at IS NOT NULL AS dead FROM alert_deliveries WHERE subscription_id = $1`, [dead.id])).toEqual([{ state: 'pending', attempts: 3, dead: true }]),
      );
      expect(broken.received.every((r) => r.verified)).toBe(true);
      expect(elsewhere.received).toEqual([]);

      // Disabled: the next alert of the district is not sent to it.
      expect((await t.request('DELETE', `/alert-subscriptions/${sub.body.id}`, { key: other.r1 })).status).toBe(404);
      expect((await t.request('DELETE', `/alert-subscriptions/${sub.body.id}`, { key: s.r1 })).body.disabledAt).toEqual(expect.any(String));
      const next = await school(t, { district: '310117' });
      await next.contract(4, '400.00');
      await t.request('POST', '/admin/alerts/evaluation-run', { body: {} });
      await until(() => expect(broken.received.length).toBe(6));
      expect(flaky.received).toHaveLength(3);
    } finally {
      await Promise.all([flaky.close(), broken.close(), elsewhere.close()]);
    }
  }, 60_000);
});
