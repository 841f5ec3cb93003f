import { Webhook } from 'standardwebhooks';
import { Clock } from '@common/clock';
import { BanksService } from '@modules/banks/banks.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { eligibleInstitution } from '../support/register-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

describe('contracts under policy, and money into escrow', () => {
  let t: TestApp;
  let r1: string;
  let r2: string;
  let inst: { id: string };
  let escrow: { accountNumber: string; id: string };
  let instKey: string;
  let bankKey: string;
  let secret: string;
  let course: { id: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    r1 = await t.createKey({ role: 'regulator', districts: ['310117'] });
    r2 = await t.createKey({ role: 'regulator', districts: ['310117'] });
    // The bank first: escrow accounts are filed only at registered banks.
    const bank = await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: '工商银行上海分行' } });
    secret = bank.body.secret;
    ({ inst, escrow } = await eligibleInstitution(t, [r1, r2]));
    instKey = await t.createKey({ role: 'institution', institutionId: inst.id });
    bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
    course = (
      await t.request('POST', `/institutions/${inst.id}/courses`, {
        key: instKey,
        body: { name: '少儿美术', category: 'non_subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'medium', listPricePerLesson: '120.00' },
      })
    ).body;
  });
  afterAll(() => t.close());

  const sign = (body: Record<string, unknown>) =>
    t.request('POST', `/institutions/${inst.id}/contracts`, {
      key: instKey,
      body: { courseId: course.id, payerName: '陈女士', payerPhone: '13612345678', studentName: '陈小明', lessons: 40, startDate: '2026-12-01', endDate: '2027-02-28', totalPrice: '4800.00', ...body },
    });

  let seq = 0;
  const credit = (body: Record<string, unknown>, opts: { secret?: string; at?: Date; id?: string } = {}) => {
    const payload = JSON.stringify({ escrowAccountNumber: escrow.accountNumber, currency: 'CNY', valueDate: '2026-11-22', ...body });
    const id = opts.id ?? `msg_${++seq}`;
    const at = opts.at ?? new Date();
    const signature = new Webhook(opts.secret ?? secret).sign(id, at, payload);
    return t.request('POST', '/bank/credits', {
      key: bankKey,
      rawBody: payload,
      headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
    });
  };

  describe('policy', () => {
    it('lists every violated rule with its limit and value in one 422', async () => {
      const res = await sign({ lessons: 61, endDate: '2027-03-01', totalPrice: '5000.01' });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('POLICY_VIOLATION');
      expect(res.body.error.details.policy).toMatchObject({ code: '310000', version: 1 });
      expect(res.body.error.details.violations).toEqual([
        expect.objectContaining({ code: 'PREPAID_LESSONS_EXCEEDED', limit: 60, value: 61 }),
        expect.objectContaining({ code: 'PREPAID_PERIOD_EXCEEDED', limit: '2027-02-28', value: '2027-03-01' }),
        expect.objectContaining({ code: 'SINGLE_PAYMENT_EXCEEDED', limit: '5000.00', value: '5000.01' }),
      ]);
      expect(await t.db.query(`SELECT 1 FROM contracts WHERE institution_id = $1`, [inst.id])).toHaveLength(0);
    });

    it('accepts 60 lessons, exactly three months and 5,000.00', async () => {
      const res = await sign({ lessons: 60, endDate: '2027-02-28', totalPrice: '5000.00' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ state: 'awaiting_payment', amountPaid: '0.00', policy: { code: '310000', version: 1 }, payerPhone: '136****5678' });
      expect(res.body.payerToken).toMatch(/^pay_/);
    });

    it('allocates odd totals exactly: 48 lessons for 11,111.11', async () => {
      const res = await sign({ lessons: 48, totalPrice: '11111.11', endDate: '2027-02-28' });
      // Non-subject: 11,111.11 is above the 5,000 single-payment cap, so sign it as a subject course.
      expect(res.status).toBe(422);
      const subject = (
        await t.request('POST', `/institutions/${inst.id}/courses`, {
          key: instKey,
          body: { name: '初中数学', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '240.00' },
        })
      ).body;
      const ok = await sign({ courseId: subject.id, lessons: 48, totalPrice: '11111.11' });
      expect(ok.status).toBe(201);
      expect(ok.body.lessonAmounts).toEqual({ count: 48, regular: '231.48', last: '231.55' });
    });

    it('a district policy overrides its province; a new version applies from its date; the contract keeps its version', async () => {
      const rules = (await t.request('GET', '/policies/resolve?district=310117', { key: r1 })).body.rules;
      expect((await t.request('GET', '/policies/resolve?district=310117', { key: r1 })).body.code).toBe('310000');
      const pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
      const foreign = await t.request('POST', '/policies', { key: pudong, body: { code: '310117', effectiveFrom: '2026-11-22', rules } });
      expect(foreign.status).toBe(404);
      const v1 = await t.request('POST', '/policies', { key: r1, body: { code: '310117', effectiveFrom: '2026-11-22', rules: { ...rules, maxPrepaidLessons: 30 } } });
      expect(v1.status).toBe(201);
      expect(v1.body.version).toBe(1);
      const v2 = await t.request('POST', '/policies', { key: r1, body: { code: '310117', effectiveFrom: '2027-01-01', rules: { ...rules, maxPrepaidLessons: 20 } } });
      expect(v2.body.version).toBe(2);
      expect((await t.request('GET', '/policies/resolve?district=310117&date=2026-12-31', { key: r1 })).body).toMatchObject({ code: '310117', version: 1 });
      expect((await t.request('GET', '/policies/resolve?district=310117&date=2027-01-01', { key: r1 })).body).toMatchObject({ code: '310117', version: 2 });
      expect((await t.request('GET', '/policies/resolve?district=310118', { key: r1 })).body.code).toBe('310000');
      const signed = await sign({ lessons: 31 });
      expect(signed.body.error.details.violations[0]).toMatchObject({ code: 'PREPAID_LESSONS_EXCEEDED', limit: 30 });
      const within = await sign({ lessons: 30, totalPrice: '3000.00' });
      expect(within.body.policy).toMatchObject({ code: '310117', version: 1 });
      await expect(t.db.query(`UPDATE jurisdiction_policies SET rules = '{}' WHERE id = $1`, [v1.body.id])).rejects.toThrow(/append-only/);
    });

    it('an ineligible institution cannot sign (its reasons are violations)', async () => {
      await t.request('POST', `/escrow-accounts/${escrow.id}/freeze`, { key: r1, body: { reason: 'audit' } });
      const res = await sign({ lessons: 10, totalPrice: '1000.00' });
      expect(res.body.error.details.violations.map((v: { code: string }) => v.code)).toContain('ESCROW_FROZEN');
      await t.request('POST', `/escrow-accounts/${escrow.id}/unfreeze`, { key: r1, body: { reason: 'audit done' } });
    });
  });

  describe('bank credits', () => {
    it('funds the contract, activates it when paid in full, and answers a repeat as the first time', async () => {
      const c = (await sign({ lessons: 10, totalPrice: '1200.00' })).body;
      const part = await credit({ bankTransactionId: 'TXN-1', amount: '200.00', payerReference: c.reference });
      expect(part.status).toBe(201);
      expect(part.body).toMatchObject({ outcome: 'applied', applied: '200.00', contractState: 'awaiting_payment' });
      const rest = await credit({ bankTransactionId: 'TXN-2', amount: '1000.00', payerReference: c.reference });
      expect(rest.body).toMatchObject({ outcome: 'applied', contractState: 'active' });
      const repeat = await credit({ bankTransactionId: 'TXN-2', amount: '1000.00', payerReference: c.reference });
      // One replay rule everywhere (issue 11): the first status again, marked as a replay.
      expect(repeat.status).toBe(201);
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(repeat.body).toEqual(rest.body);
      const balance = await t.request('GET', `/ledger/contracts/${c.id}/balance`, { key: r1 });
      expect(balance.body).toMatchObject({ paidIn: '1200.00', held: '1200.00', consistent: true });
      expect((await t.request('GET', `/contracts/${c.id}`, { key: instKey })).body).toMatchObject({ state: 'active', amountPaid: '1200.00' });
    });

    it('sends an overpayment excess, an unknown reference and a wrong currency to suspense, with exceptions', async () => {
      const c = (await sign({ lessons: 5, totalPrice: '500.00' })).body;
      const over = await credit({ bankTransactionId: 'TXN-3', amount: '650.00', payerReference: c.reference });
      expect(over.body).toMatchObject({ outcome: 'applied_with_excess', applied: '500.00', toSuspense: '150.00', exception: 'OVERPAYMENT', contractState: 'active' });
      const unknown = await credit({ bankTransactionId: 'TXN-4', amount: '99.99', payerReference: 'HT-NOPE' });
      expect(unknown.body).toMatchObject({ outcome: 'suspense', toSuspense: '99.99', exception: 'UNMATCHED_CREDIT' });
      const usd = await credit({ bankTransactionId: 'TXN-5', amount: '10.00', currency: 'USD', payerReference: c.reference });
      expect(usd.body).toMatchObject({ outcome: 'suspense', exception: 'CREDIT_CURRENCY_MISMATCH', currency: 'USD' });
      const exceptions = await t.db.query<{ type: string }>(`SELECT type FROM escrow_exceptions WHERE institution_id = $1 ORDER BY created_at`, [inst.id]);
      expect(exceptions.map((e) => e.type)).toEqual(['OVERPAYMENT', 'UNMATCHED_CREDIT', 'CREDIT_CURRENCY_MISMATCH']);
      const events = (await t.request('GET', `/supervision-events?institutionId=${inst.id}&type=UNMATCHED_CREDIT`, { key: r1 })).body.items;
      expect(events).toHaveLength(1);
    });

    it('a forged or stale signature is 401 and changes nothing', async () => {
      const before = await t.db.query(`SELECT count(*)::int AS n FROM bank_credits`);
      const forged = await credit({ bankTransactionId: 'TXN-6', amount: '1.00' }, { secret: `whsec_${Buffer.from('x'.repeat(32)).toString('base64')}` });
      expect(forged.status).toBe(401);
      expect(forged.body.error.code).toBe('INVALID_SIGNATURE');
      const stale = await credit({ bankTransactionId: 'TXN-7', amount: '1.00' }, { at: new Date(Date.now() - 6 * 60 * 1000) });
      expect(stale.status).toBe(401);
      const unsigned = await t.request('POST', '/bank/credits', { key: bankKey, body: { bankTransactionId: 'TXN-8', escrowAccountNumber: escrow.accountNumber, amount: '1.00', currency: 'CNY', valueDate: '2026-11-22' } });
      expect(unsigned.status).toBe(401);
      expect(await t.db.query(`SELECT count(*)::int AS n FROM bank_credits`)).toEqual(before);
    });

    it('rotated secrets overlap; amounts must be decimal strings; only banks, only their own accounts', async () => {
      const rotated = await t.request('POST', '/admin/banks/ICBC-SH/secrets');
      expect((await credit({ bankTransactionId: 'TXN-9', amount: '1.00' }, { secret: rotated.body.secret })).status).toBe(201);
      expect((await credit({ bankTransactionId: 'TXN-10', amount: '1.00' })).status).toBe(201);
      await t.request('POST', '/admin/banks/ICBC-SH/secrets/retire-oldest');
      expect((await credit({ bankTransactionId: 'TXN-11', amount: '1.00' })).status).toBe(401);
      secret = rotated.body.secret;
      const numeric = await credit({ bankTransactionId: 'TXN-12', amount: 12.5 });
      expect(numeric.status).toBe(400);
      expect(numeric.body.error.code).toBe('INVALID_AMOUNT');
      const asString = await credit({ bankTransactionId: 'TXN-13', amount: '1.001' });
      expect(asString.body.error.code).toBe('INVALID_AMOUNT');
      expect((await t.request('POST', '/bank/credits', { key: instKey, body: {} })).status).toBe(403);
      await t.request('POST', '/admin/banks', { body: { code: 'BOC-SH', name: '中国银行' } });
      const otherBank = await t.createKey({ role: 'bank', bankCode: 'BOC-SH' });
      const payload = JSON.stringify({ bankTransactionId: 'X1', escrowAccountNumber: escrow.accountNumber, amount: '1.00', currency: 'CNY', valueDate: '2026-11-22' });
      const boc = (await t.app.get(BanksService).deliveryTarget('BOC-SH'))!.secrets;
      const at = new Date();
      const res = await t.request('POST', '/bank/credits', {
        key: otherBank,
        rawBody: payload,
        headers: { 'webhook-id': 'm1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(boc[0]).sign('m1', at, payload) },
      });
      expect(res.status).toBe(404);
    });

    it('keeps the payer account the bank reports with the credit; a payer account without a number is 400', async () => {
      const c = (await sign({ lessons: 2, totalPrice: '200.00' })).body;
      const res = await credit({ bankTransactionId: 'TXN-PA1', amount: '200.00', payerReference: c.reference, payerAccount: { bank: 'BOC-SH', accountNumber: '6217000099990000', accountName: '陈女士' } });
      expect(res.status).toBe(201);
      const [row] = await t.db.query(`SELECT payer_bank, payer_account_number, payer_account_name FROM bank_credits WHERE bank_transaction_id = 'TXN-PA1'`);
      expect(row).toEqual({ payer_bank: 'BOC-SH', payer_account_number: '6217000099990000', payer_account_name: '陈女士' });
      const bad = await credit({ bankTransactionId: 'TXN-PA2', amount: '1.00', payerReference: c.reference, payerAccount: { bank: 'BOC-SH' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('amount paid on a contract always equals what the ledger says was paid in', async () => {
      // Partial payments, an overpayment and a payment after activation, on top of the credits above.
      const c = (await sign({ lessons: 4, totalPrice: '400.00' })).body;
      for (const [i, amount] of ['0.01', '99.99', '150.00', '200.00', '30.00'].entries()) {
        await credit({ bankTransactionId: `TXN-SUM-${i}`, amount, payerReference: c.reference });
      }
      const ledger = t.app.get(LedgerService);
      const contracts = await t.db.query<{ id: string; amount_paid: string; escrow_account_id: string; institution_id: string; currency: string; state: string }>(
        `SELECT id, amount_paid::text, escrow_account_id, institution_id, currency, state FROM contracts`,
      );
      expect(contracts.length).toBeGreaterThan(5);
      for (const k of contracts) {
        const funds = await ledger.contractFunds({ escrowAccountId: k.escrow_account_id, institutionId: k.institution_id, contractId: k.id, currency: k.currency });
        expect({ id: k.id, paid: k.amount_paid }).toEqual({ id: k.id, paid: funds.paidIn.toString() });
      }
      expect((await t.request('GET', `/contracts/${c.id}`, { key: instKey })).body).toMatchObject({ amountPaid: '400.00', state: 'active' });
    });
  });
  describe('scope', () => {
    it("out of scope is 404: another district's regulator, another institution's key, another bank's key", async () => {
      const c = (await sign({ lessons: 2, totalPrice: '200.00' })).body;
      expect((await credit({ bankTransactionId: 'TXN-SCOPE', amount: '200.00', payerReference: c.reference })).status).toBe(201);
      const p1 = await t.createKey({ role: 'regulator', districts: ['310115'] });
      const p2 = await t.createKey({ role: 'regulator', districts: ['310115'] });
      const { inst: other } = await eligibleInstitution(t, [p1, p2], '310115');
      const otherKey = await t.createKey({ role: 'institution', institutionId: other.id });
      const [held] = await t.db.query<{ id: string }>(`SELECT id FROM ledger_accounts WHERE contract_id = $1 AND type = 'contract_held'`, [c.id]);
      const [cash] = await t.db.query<{ id: string }>(`SELECT id FROM ledger_accounts WHERE escrow_account_id = $1 AND type = 'bank_cash'`, [escrow.id]);
      const reads = [
        [`/contracts/${c.id}`, 'CONTRACT_NOT_FOUND'],
        [`/contracts/${c.id}/lessons`, 'CONTRACT_NOT_FOUND'],
        [`/institutions/${inst.id}/contracts`, 'INSTITUTION_NOT_FOUND'],
        [`/ledger/contracts/${c.id}/balance`, 'LEDGER_ACCOUNT_NOT_FOUND'],
        [`/ledger/accounts/${held.id}`, 'LEDGER_ACCOUNT_NOT_FOUND'],
      ];
      for (const key of [p1, otherKey]) {
        for (const [path, code] of reads) {
          const res = await t.request('GET', path, { key });
          expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 404, code });
          // A 404 names nothing it was not asked about (no internal ledger account key).
          expect(JSON.stringify(res.body.error)).not.toContain('contract:');
        }
        const revoke = await t.request('POST', `/contracts/${c.id}/payer-token/revoke`, { key });
        expect(revoke.status).toBe(404);
      }
      expect((await t.request('GET', `/contracts/${c.id}`, { key: instKey })).body.payerTokenActive).toBe(true);
      for (const key of [r1, instKey]) for (const [path] of reads) expect({ path, status: (await t.request('GET', path, { key })).status }).toEqual({ path, status: 200 });

      // Banks: the custody bank reads the ledger accounts of the escrow accounts it keeps; another bank gets 404.
      await t.request('POST', '/admin/banks', { body: { code: 'CCB-SH', name: '建设银行' } });
      const ccbKey = await t.createKey({ role: 'bank', bankCode: 'CCB-SH' });
      for (const account of [cash.id, held.id]) {
        expect((await t.request('GET', `/ledger/accounts/${account}`, { key: bankKey })).status).toBe(200);
        const foreign = await t.request('GET', `/ledger/accounts/${account}`, { key: ccbKey });
        expect(foreign.status).toBe(404);
        expect(foreign.body.error.code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
        expect((await t.request('GET', `/ledger/accounts/${account}`, { key: otherKey })).status).toBe(404);
      }
      expect((await t.request('GET', `/contracts/${c.id}`, { key: ccbKey })).status).toBe(403);
    });

    it('a contract keeps the terms it was signed under; the database refuses to change them', async () => {
      const before = (await sign({ lessons: 2, totalPrice: '200.00' })).body;
      expect(before.terms).toEqual({ deemedConfirmationWorkingDays: 15, releaseCadence: { kind: 'per_lesson' }, refundResponseWorkingDays: 5, refundDaysBeforeStart: 5, refundDaysAfterStart: 15 });
      const rules = (await t.request('GET', '/policies/resolve?district=310117', { key: r1 })).body.rules;
      const published = await t.request('POST', '/policies', {
        key: r1,
        body: { code: '310117', effectiveFrom: '2026-11-22', rules: { ...rules, deemedConfirmationWorkingDays: 5, releaseCadence: { kind: 'weekly', paymentDelayDays: 3 } } },
      });
      expect(published.status).toBe(201);
      const after = (await sign({ lessons: 2, totalPrice: '200.00' })).body;
      expect(after).toMatchObject({ policy: { code: '310117', version: published.body.version }, terms: { deemedConfirmationWorkingDays: 5, releaseCadence: { kind: 'weekly', paymentDelayDays: 3 } } });
      expect((await t.request('GET', `/contracts/${before.id}`, { key: instKey })).body).toMatchObject({ policy: before.policy, terms: before.terms });
      await expect(t.db.query(`UPDATE contracts SET release_cadence = '{"kind":"weekly","paymentDelayDays":0}' WHERE id = $1`, [before.id])).rejects.toThrow(/terms are fixed/);
      await expect(t.db.query(`UPDATE contracts SET deemed_confirmation_days = 1 WHERE id = $1`, [before.id])).rejects.toThrow(/terms are fixed/);
      await expect(t.db.query(`UPDATE contracts SET policy_id = $2 WHERE id = $1`, [before.id, published.body.id])).rejects.toThrow(/terms are fixed/);
      await expect(t.db.query(`UPDATE contracts SET refund_days_after_start = 30 WHERE id = $1`, [before.id])).rejects.toThrow(/terms are fixed/);
      // Writing the same terms again is no change: the rest of the row stays writable.
      await t.db.query(`UPDATE contracts SET release_cadence = release_cadence, payer_name = payer_name WHERE id = $1`, [before.id]);
    });
  });
});

describe('regulator escrow audit', () => {
  it('per institution and district totals, scoped, as of a past moment, and as CSV', async () => {
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    try {
      t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
      const r1 = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const r2 = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
      const secret = (await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC' } })).body.secret;
      const { inst, escrow } = await eligibleInstitution(t, [r1, r2]);
      const instKey = await t.createKey({ role: 'institution', institutionId: inst.id });
      const bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
      const course = (await t.request('POST', `/institutions/${inst.id}/courses`, { key: instKey, body: { name: 'c', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' } })).body;
      const c = (await t.request('POST', `/institutions/${inst.id}/contracts`, { key: instKey, body: { courseId: course.id, payerName: 'p', payerPhone: '13600000000', studentName: 's', lessons: 10, startDate: '2026-12-01', endDate: '2027-02-28', totalPrice: '1000.00' } })).body;
      const before = new Date();
      await new Promise((r) => setTimeout(r, 30));
      const payload = JSON.stringify({ bankTransactionId: 'A-1', escrowAccountNumber: escrow.accountNumber, amount: '1000.00', currency: 'CNY', valueDate: '2026-11-22', payerReference: c.reference });
      const at = new Date();
      await t.request('POST', '/bank/credits', { key: bankKey, rawBody: payload, headers: { 'webhook-id': 'a1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign('a1', at, payload) } });

      const res = await t.request('GET', '/audit/districts/310117', { key: r1 });
      expect(res.status).toBe(200);
      const row = res.body.institutions.find((i: { institutionId: string }) => i.institutionId === inst.id);
      expect(row).toMatchObject({ obligations: '1000.00', paidIn: '1000.00', released: '0.00', refunded: '0.00', bankCash: '1000.00', coverage: '1.0000', escrowAccount: { state: 'active' } });
      expect(res.body.totals).toEqual([expect.objectContaining({ currency: 'CNY', obligations: '1000.00', bankCash: '1000.00', institutions: 1 })]);
      const past = await t.request('GET', `/audit/districts/310117?asOf=${before.toISOString()}`, { key: r1 });
      expect(past.body.institutions[0]).toMatchObject({ obligations: '0.00', bankCash: '0.00' });
      const city = await t.request('GET', '/audit/districts/310100', { key: r1 });
      expect(city.status).toBe(404);
      expect((await t.request('GET', '/audit/districts/310117', { key: pudong })).status).toBe(404);
      expect((await t.request('GET', `/audit/institutions/${inst.id}`, { key: pudong })).status).toBe(404);
      const csv = await t.request('GET', '/audit/districts/310117?format=csv', { key: r1 });
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(csv.text.split('\n')[0]).toBe('institutionId,name,uscc,districtCode,currency,bankCode,accountNumber,escrowState,obligations,paidIn,released,refunded,transferred,bankCash,suspense,coverage,lastReconciledDay,openAlertsCritical,openAlertsWarning,openAlertsInfo');
      expect(csv.text).toContain(`TOTAL,1 institutions,,310117,CNY,,,,1000.00,1000.00,0.00,0.00,0.00,1000.00,0.00,1.0000,`);
    } finally {
      await t.close();
    }
  });
});
