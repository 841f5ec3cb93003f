import { Webhook } from 'standardwebhooks';
import { Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { LedgerDayCloseJob } from '@modules/ledger/jobs/ledger-day-close.job';
import { eligibleInstitution } from '../support/register-fixtures';
import { startTestApp } from '../support/test-app';

/**
 * The ledger's daily close (end-of-day balances per institution, account type and currency):
 * missed days caught up oldest first, each day exactly once, and an audit of a past moment
 * answers the same before and after the close (the close only changes how it is summed).
 */
describe('ledger day close', () => {
  it('closes missed days once each, and asOf audits read them with the same figures', async () => {
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    try {
      const r1 = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const r2 = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const secret = (await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC' } })).body.secret;
      const { inst, escrow } = await eligibleInstitution(t, [r1, r2]);
      const instKey = await t.createKey({ role: 'institution', institutionId: inst.id });
      const bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
      const course = (await t.request('POST', `/institutions/${inst.id}/courses`, { key: instKey, body: { name: 'c', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' } })).body;
      const credit = async (id: string, reference: string, amount: string) => {
        const payload = JSON.stringify({ bankTransactionId: id, escrowAccountNumber: escrow.accountNumber, amount, currency: 'CNY', valueDate: '2026-11-22', payerReference: reference });
        const at = new Date();
        const res = await t.request('POST', '/bank/credits', { key: bankKey, rawBody: payload, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, payload) } });
        expect(res.status).toBe(201);
      };
      const contract = async () =>
        (await t.request('POST', `/institutions/${inst.id}/contracts`, { key: instKey, body: { courseId: course.id, payerName: 'p', payerPhone: '13600000000', studentName: 's', lessons: 10, startDate: addDaysTo(today, 7), endDate: addDaysTo(today, 60), totalPrice: '1000.00' } })).body;
      const today = t.app.get(Clock).today();
      const c1 = await contract();
      const c2 = await contract();
      await credit('A-1', c1.reference, '1000.00');
      await credit('A-2', c2.reference, '400.00');
      await credit('A-3', 'NO-SUCH-REFERENCE', '12.34');

      // Move the postings into the past: A-1 four days ago (China noon), A-2 and A-3 two days ago.
      const noon = (daysAgo: number) => `${addDaysTo(today, -daysAgo)}T12:00:00+08:00`;
      await t.db.query(`SET session_replication_role = replica`);
      await t.db.query(
        `UPDATE ledger_postings p SET created_at = CASE WHEN x.external_ref LIKE '%A-1%' THEN $1::timestamptz ELSE $2::timestamptz END
           FROM ledger_transactions x WHERE x.id = p.transaction_id`,
        [noon(4), noon(2)],
      );
      await t.db.query(`RESET session_replication_role`);

      const audit = async (asOf: string) => {
        const res = await t.request('GET', `/audit/districts/310117?asOf=${encodeURIComponent(new Date(asOf).toISOString())}`, { key: r1 });
        expect(res.status).toBe(200);
        return res.body.institutions.find((i: { institutionId: string }) => i.institutionId === inst.id);
      };
      const auditNow = async () => {
        const res = await t.request('GET', '/audit/districts/310117', { key: r1 });
        expect(res.status).toBe(200);
        return { row: res.body.institutions.find((i: { institutionId: string }) => i.institutionId === inst.id), totals: res.body.totals };
      };
      const nowBefore = await auditNow(); // from the balance rows: nothing is closed yet
      expect(nowBefore.row).toMatchObject({ obligations: '1400.00', bankCash: '1412.34', suspense: '12.34' });
      const moments = [noon(5), noon(4), `${addDaysTo(today, -3)}T08:00:00+08:00`, noon(2), `${addDaysTo(today, -1)}T00:00:00+08:00`, noon(1)];
      const before = [];
      for (const m of moments) before.push(await audit(m));
      expect(before[0]).toMatchObject({ obligations: '0.00', bankCash: '0.00' });
      expect(before[2]).toMatchObject({ obligations: '1000.00', bankCash: '1000.00', suspense: '0.00' });
      expect(before[5]).toMatchObject({ obligations: '1400.00', bankCash: '1412.34', suspense: '12.34' });

      const job = t.app.get(LedgerDayCloseJob);
      const first = await job.handle({});
      // From the first posting's day to yesterday, oldest first; today is not over.
      expect(first.closed).toEqual([4, 3, 2, 1].map((d) => addDaysTo(today, -d)));
      expect((await job.handle({})).closed).toEqual([]);
      const closes = await t.db.query(`SELECT day::text AS day, postings::int AS postings FROM ledger_day_closes ORDER BY day`);
      expect((closes as { postings: number }[]).map((r) => r.postings)).toEqual([2, 0, 4, 0]);
      const yesterday = await t.db.query(
        `SELECT account_type, balance::text AS balance FROM ledger_day_balances WHERE day = $1 AND institution_id = $2 ORDER BY account_type`,
        [addDaysTo(today, -1), inst.id],
      );
      expect(yesterday).toEqual([
        { account_type: 'bank_cash', balance: '1412.34' },
        { account_type: 'contract_held', balance: '1400.00' },
        { account_type: 'suspense', balance: '12.34' },
      ]);

      for (let i = 0; i < moments.length; i++) expect(await audit(moments[i])).toEqual(before[i]);
      // Now, from yesterday's close plus today's postings: the same as from the balance rows.
      expect(await auditNow()).toEqual(nowBefore);
      // The day balances are the ledger's: closed rows cannot change.
      await expect(t.db.query(`UPDATE ledger_day_balances SET balance = 0`)).rejects.toThrow(/append-only/);
      await expect(t.db.query(`DELETE FROM ledger_day_closes`)).rejects.toThrow(/append-only/);
    } finally {
      await t.close();
    }
  });
});
