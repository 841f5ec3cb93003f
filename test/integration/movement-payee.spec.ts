import { Clock } from '@common/clock';
import { bankReceiver } from '../support/bank-receiver';
import { school } from '../support/contract-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * A release is never sent to the bank without an account to pay to: instructed while the
 * institution had no payout account, it waits (regulators are told once) and goes out, to the
 * right account, when an admin redelivers it after the account is set.
 */
describe('a money movement without a payee account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
  });
  afterAll(() => t.close());

  it('waits, raises PAYEE_ACCOUNT_MISSING once, and is delivered with the account after a redelivery; a finished movement is not redelivered', async () => {
    const r = await bankReceiver();
    try {
      const bank = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: r.url } });
      r.setSecret(bank.body.secret);
      t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
      const s = await school(t, { payoutAccount: false });
      const c = await s.contract(2, '200.00');
      t.app.get(Clock).travelTo(new Date('2026-12-06T04:00:00Z'));
      const lesson = (
        await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
          key: s.instKey,
          body: { sessionKey: 'p1', courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: 'T', location: 'R', attendees: [c.id] },
        })
      ).body.lessons[0];
      await t.request('POST', `/payer/lessons/${lesson.id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } });
      const [{ id }] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions`);

      const waiting = await eventually(async () => {
        const d = (await t.request('GET', `/admin/settlement-instructions/${id}`)).body;
        return d.state === 'queued' ? d : null;
      });
      expect(waiting.payee_account_number).toBeNull();
      expect(r.received).toHaveLength(0);
      const events = await t.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM supervision_events WHERE type = 'PAYEE_ACCOUNT_MISSING'`);
      expect(events[0].n).toBe('1');

      await t.request('PATCH', `/institutions/${s.inst.id}`, { key: s.r1, body: { basicAccountBank: 'BOC-SH', basicAccountNumber: '4567891230001' } });
      expect((await t.request('POST', `/admin/settlement-instructions/${id}/redeliver`)).status).toBe(202);
      const sent = await eventually(async () => r.received.find((x) => x.id === id));
      expect(sent.verified).toBe(true);
      expect(sent.body.to).toMatchObject({ bankCode: 'BOC-SH', accountNumber: '4567891230001' });
      const acknowledged = await eventually(async () => {
        const d = (await t.request('GET', `/admin/settlement-instructions/${id}`)).body;
        return d.state === 'acknowledged' ? d : null;
      });
      expect(acknowledged.payee_account_number).toBe('4567891230001');

      // Acknowledged (or executed, failed): not delivered again; the answer says why.
      const again = await t.request('POST', `/admin/settlement-instructions/${id}/redeliver`);
      expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_SETTLEMENT_TRANSITION']);
      expect(r.received.filter((x) => x.id === id)).toHaveLength(1);
    } finally {
      await r.close();
    }
  });
});
