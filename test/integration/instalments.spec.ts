import { Webhook } from 'standardwebhooks';
import { Clock } from '@common/clock';
import { InstalmentsDueJob } from '@modules/instalments/jobs/instalments-due.job';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Instalment debits (issue 15): a 12-month non-subject course (48 lessons, 12,000.00, beyond the
 * 3-month / 5,000.00 caps as a whole) sold in four quarterly instalments of 3,000.00 under the
 * payer's mandate. The daily job pre-notifies and debits; the bank's signed results execute
 * (the money is paid into the contract) or fail (retried, then the instalment fails); the payer
 * stops future debits with the contract's token.
 */
describe('instalment debits', () => {
  let t: TestApp;
  let seq = 0;
  let district = 320100;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
  });
  afterAll(() => t.close());

  const clock = () => t.app.get(Clock);
  const job = () => t.app.get(InstalmentsDueJob);
  const mandate = { bank: 'CMB-SH', accountNumber: '6225880099990001', accountName: '家长' };
  const plan = (over: Record<string, unknown>[] = []) =>
    [
      { coversFrom: '2027-01-01', coversTo: '2027-03-31', lessons: 12, amount: '3000.00', collectionDate: '2026-12-15' },
      { coversFrom: '2027-04-01', coversTo: '2027-06-30', lessons: 12, amount: '3000.00', collectionDate: '2027-03-15' },
      { coversFrom: '2027-07-01', coversTo: '2027-09-30', lessons: 12, amount: '3000.00', collectionDate: '2027-06-15' },
      { coversFrom: '2027-10-01', coversTo: '2027-12-31', lessons: 12, amount: '3000.00', collectionDate: '2027-09-15' },
    ].map((p, i) => ({ ...p, ...(over[i] ?? {}) }));

  const setup = async () => {
    clock().travelTo(new Date('2026-12-01T04:00:00Z'));
    const code = String(++district);
    const s = await school(t, { district: code });
    const rules = (await t.request('GET', `/policies/resolve?district=${code}`, { key: s.r1 })).body.rules;
    const published = await t.request('POST', '/policies', {
      key: s.r1,
      body: { code, effectiveFrom: '2026-12-01', rules: { ...rules, priceCaps: [], instalmentDebits: { preNotificationDays: 3, retries: 1, retryDelayDays: 2 } } },
    });
    expect(published.status).toBe(201);
    const course = (
      await t.request('POST', `/institutions/${s.inst.id}/courses`, {
        key: s.instKey,
        body: { name: '全年围棋', category: 'non_subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'small', listPricePerLesson: '250.00' },
      })
    ).body;
    const sign = (instalments: Record<string, unknown>[] | null) =>
      t.request('POST', `/institutions/${s.inst.id}/contracts`, {
        key: s.instKey,
        body: {
          courseId: course.id, payerName: '家长', payerPhone: '13600000000', studentName: '学生', lessons: 48, totalPrice: '12000.00', startDate: '2027-01-01', endDate: '2027-12-31',
          ...(instalments ? { instalmentPlan: { instalments, mandate } } : {}),
        },
      });
    const signed = await sign(plan());
    expect(signed.status).toBe(201);
    const c = signed.body as { id: string; reference: string; payerToken: string };
    const payer = { key: null, headers: { 'payer-token': c.payerToken } };
    const instalments = async () => (await t.request('GET', '/payer/schedule', payer)).body.instalments as { seq: number; state: string }[];
    const states = async () => (await instalments()).map((i) => i.state);
    const contract = async () => (await t.request('GET', `/contracts/${c.id}`)).body;
    const balance = async () => (await t.request('GET', `/ledger/contracts/${c.id}/balance`, { key: s.r1 })).body;
    const debits = () =>
      t.db.query<{ id: string; amount: string; source_ref: string; state: string; payee_account_number: string }>(
        `SELECT id, amount::text, source_ref, state, payee_account_number FROM settlement_instructions WHERE contract_id = $1 AND kind = 'debit' ORDER BY created_at`,
        [c.id],
      );
    const report = (
      movementId: string,
      amount: string,
      result: { status: 'executed'; bankTransactionId: string } | { status: 'failed'; reasonCode: string },
      fromAccountNumber = mandate.accountNumber,
    ) => {
      // Money in: the side that pays is the payer's mandated account (money out: the escrow account).
      const payload = JSON.stringify({ instructionId: movementId, amount, currency: 'CNY', fromAccountNumber, ...result });
      const id = `debit-result-${++seq}`;
      const at = new Date();
      return t.request('POST', '/bank/settlement-results', {
        key: s.bankKey,
        rawBody: payload,
        headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(s.secret).sign(id, at, payload) },
      });
    };
    const lesson = (day: string) =>
      t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
        key: s.instKey,
        body: { sessionKey: `i-${++seq}`, courseId: course.id, startsAt: `${day}T01:00:00Z`, endsAt: `${day}T02:00:00Z`, teacher: '王', location: '2', attendees: [c.id] },
      });
    return { s, c, sign, payer, instalments, states, contract, balance, debits, report, lesson };
  };

  it('a 12-month course in four quarterly instalments: pre-notified, debited on the day, executed into the contract; no lesson beyond what is paid', async () => {
    const x = await setup();
    // The whole contract breaks the caps; sold without a plan it is refused.
    const whole = await x.sign(null);
    expect(whole.status).toBe(422);
    expect(whole.body.error.details.violations.map((v: { code: string }) => v.code)).toEqual(expect.arrayContaining(['PREPAID_PERIOD_EXCEEDED', 'SINGLE_PAYMENT_EXCEEDED']));
    // A plan whose instalment breaks the single payment cap is refused, naming the instalment.
    const over = await x.sign(plan([{ amount: '5000.01' }, { amount: '999.99' }]));
    expect(over.status).toBe(422);
    expect(over.body.error.details.violations).toEqual([expect.objectContaining({ code: 'SINGLE_PAYMENT_EXCEEDED', value: '5000.01' })]);

    expect((await t.request('GET', `/contracts/${x.c.id}/schedule`, { key: x.s.instKey })).body).toEqual({
      mode: 'instalment',
      periods: [],
      instalments: plan().map((p, i) => ({ seq: i + 1, collectionDate: p.collectionDate, amount: p.amount, state: 'scheduled', coversFrom: p.coversFrom, coversTo: p.coversTo })),
    });
    expect((await x.contract()).state).toBe('awaiting_payment');

    await job().handle({ today: '2026-12-11' });
    expect(await x.states()).toEqual(['scheduled', 'scheduled', 'scheduled', 'scheduled']);
    // Three days' notice.
    await job().handle({ today: '2026-12-12' });
    await job().handle({ today: '2026-12-12' });
    expect(await x.states()).toEqual(['notified', 'scheduled', 'scheduled', 'scheduled']);
    expect(await x.debits()).toEqual([]);
    // Collection day, run twice at once: one debit from the mandated account.
    await Promise.all([job().handle({ today: '2026-12-15' }), job().handle({ today: '2026-12-15' })]);
    const [d1, ...more] = await x.debits();
    expect(more).toEqual([]);
    expect(d1).toMatchObject({ amount: '3000.00', state: 'pending', payee_account_number: mandate.accountNumber });
    expect(await x.states()).toEqual(['instructed', 'scheduled', 'scheduled', 'scheduled']);

    clock().travelTo(new Date('2026-12-16T04:00:00Z'));
    expect((await x.report(d1.id, '3000.00', { status: 'executed', bankTransactionId: `DB${x.c.id.slice(0, 8)}1` })).status).toBe(201);
    expect(await x.states()).toEqual(['paid', 'scheduled', 'scheduled', 'scheduled']);
    expect(await x.contract()).toMatchObject({ state: 'active', amountPaid: '3000.00' });
    expect(await x.balance()).toMatchObject({ paidIn: '3000.00', held: '3000.00', consistent: true });
    // The debit is a credit on the escrow account's statement, matched by its reference like any movement.
    const lines = await t.app.get(MoneyMovementsService).expectedLines(t.app.get(MoneyMovementsService)['ds'].manager, x.s.escrow.id, '2026-12-01', '2026-12-31');
    expect(lines).toEqual([expect.objectContaining({ id: d1.id, direction: 'CRDT', amount: '3000.00' })]);

    // 12 lessons are paid for (250.00 each); the 13th is not.
    clock().travelTo(new Date('2027-01-20T04:00:00Z'));
    for (let d = 1; d <= 12; d++) expect((await x.lesson(`2027-01-${String(d).padStart(2, '0')}`)).status).toBe(201);
    const unpaid = await x.lesson('2027-01-13');
    expect(unpaid.status).toBe(422);
    expect(unpaid.body.error.code).toBe('LESSONS_NOT_PAID');
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a failed debit is tried again after the policy’s days, then the instalment fails and both sides are told', async () => {
    const x = await setup();
    await job().handle({ today: '2026-12-15' });
    const [d1] = await x.debits();
    await x.report(d1.id, '3000.00', { status: 'executed', bankTransactionId: `DB${x.c.id.slice(0, 8)}1` });
    clock().travelTo(new Date('2027-03-15T04:00:00Z'));
    // The worker missed the notice day: told and debited in the same run.
    await job().handle({ today: '2027-03-15' });
    const d2 = (await x.debits())[1];
    expect(d2.source_ref).toMatch(/^debit\.[0-9a-f-]+\.1$/);
    expect((await x.report(d2.id, '3000.00', { status: 'failed', reasonCode: 'AM04' })).status).toBe(201);
    expect(await x.states()).toEqual(['paid', 'retrying', 'scheduled', 'scheduled']);
    await job().handle({ today: '2027-03-16' });
    expect(await x.debits()).toHaveLength(2);
    await job().handle({ today: '2027-03-17' });
    const d3 = (await x.debits())[2];
    expect(d3.source_ref).toMatch(/\.2$/);
    expect(await x.states()).toEqual(['paid', 'instructed', 'scheduled', 'scheduled']);
    // Sending the first failed try again by hand while the retry is out would debit the payer twice: refused.
    const again = await t.request('POST', `/settlement-instructions/${d2.id}/reinstruct`, { key: x.s.r1, body: { reason: '再试一次' } });
    expect(again.status).toBe(409);
    expect(await x.debits()).toHaveLength(3);
    clock().travelTo(new Date('2027-03-17T04:00:00Z'));
    expect((await x.report(d3.id, '3000.00', { status: 'failed', reasonCode: 'MD07' })).status).toBe(201);
    expect(await x.states()).toEqual(['paid', 'failed', 'scheduled', 'scheduled']);
    const events = await t.db.query(`SELECT type FROM supervision_events WHERE institution_id = $1 AND type = 'INSTALMENT_FAILED'`, [x.s.inst.id]);
    expect(events).toHaveLength(1);
    await job().handle({ today: '2027-03-30' });
    expect(await x.debits()).toHaveLength(3);
    expect(await x.contract()).toMatchObject({ amountPaid: '3000.00' });
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('the payer stops after the second instalment: the rest is cancelled and nothing further is collected', async () => {
    const x = await setup();
    await job().handle({ today: '2026-12-15' });
    await x.report((await x.debits())[0].id, '3000.00', { status: 'executed', bankTransactionId: `DB${x.c.id.slice(0, 8)}1` });
    clock().travelTo(new Date('2027-03-15T04:00:00Z'));
    await job().handle({ today: '2027-03-15' });
    await x.report((await x.debits())[1].id, '3000.00', { status: 'executed', bankTransactionId: `DB${x.c.id.slice(0, 8)}2` });
    expect(await x.contract()).toMatchObject({ amountPaid: '6000.00' });

    const stopped = await t.request('POST', '/payer/instalments/stop', { ...x.payer, body: { reason: '孩子不想学了' } });
    expect(stopped.status).toBe(200);
    expect(stopped.body.instalments.map((i: { state: string }) => i.state)).toEqual(['paid', 'paid', 'cancelled', 'cancelled']);
    const again = await t.request('POST', '/payer/instalments/stop', { ...x.payer, body: { reason: '孩子不想学了' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INSTALMENT_PLAN_STOPPED');
    await job().handle({ today: '2027-12-31' });
    expect(await x.debits()).toHaveLength(2);
    // The contract shortens to what is paid: two quarters, 24 lessons, 6,000.00, ending 30 June.
    expect(await x.contract()).toMatchObject({ state: 'active', amountPaid: '6000.00', totalPrice: '6000.00', lessons: 24, endDate: '2027-06-30' });
    expect(await x.balance()).toMatchObject({ paidIn: '6000.00', held: '6000.00' });
    // Without a plan: 422; an unknown token: 401.
    const plain = await x.s.contract(10, '1000.00', { startDate: '2027-04-01', endDate: '2027-06-30' });
    expect((await t.request('POST', '/payer/instalments/stop', { key: null, headers: { 'payer-token': plain.payerToken }, body: { reason: '不需要' } })).body.error.code).toBe('NO_INSTALMENT_PLAN');
    expect((await t.request('POST', '/payer/instalments/stop', { key: null, headers: { 'payer-token': 'pay_nope' }, body: { reason: '不需要' } })).status).toBe(401);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a refund ends the plan: refunded to the mandated account, nothing further is collected', async () => {
    const x = await setup();
    await job().handle({ today: '2026-12-15' });
    await x.report((await x.debits())[0].id, '3000.00', { status: 'executed', bankTransactionId: `DB${x.c.id.slice(0, 8)}1` });
    clock().travelTo(new Date('2026-12-20T04:00:00Z'));
    const asked = await t.request('POST', '/payer/refunds', { ...x.payer, body: { reason: '搬家' } });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ computation: { refund: '3000.00' }, payee: { bank: 'CMB-SH', accountNumber: expect.stringMatching(/0001$/) } });
    expect((await t.request('POST', `/refunds/${asked.body.id}/approve`, { key: x.s.instKey })).status).toBe(200);
    await job().handle({ today: '2027-03-15' });
    expect(await x.states()).toEqual(['paid', 'cancelled', 'cancelled', 'cancelled']);
    expect(await x.debits()).toHaveLength(1);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a debit the bank executes after a refund terminated the contract goes straight back to the payer, once', async () => {
    const x = await setup();
    await job().handle({ today: '2026-12-15' });
    await x.report((await x.debits())[0].id, '3000.00', { status: 'executed', bankTransactionId: `DB${x.c.id.slice(0, 8)}1` });
    // The second debit is on its way to the bank when the payer asks for a refund and the institution approves it.
    clock().travelTo(new Date('2027-03-15T04:00:00Z'));
    await job().handle({ today: '2027-03-15' });
    const [, d2] = await x.debits();
    expect(d2).toMatchObject({ state: 'pending' });
    const asked = await t.request('POST', '/payer/refunds', { ...x.payer, body: { reason: '搬家' } });
    expect(asked.body).toMatchObject({ computation: { refund: '3000.00' } });
    expect((await t.request('POST', `/refunds/${asked.body.id}/approve`, { key: x.s.instKey })).status).toBe(200);
    const outs = () =>
      t.db.query<{ id: string; amount: string; source_ref: string; state: string; payee_account_number: string }>(
        `SELECT id, amount::text, source_ref, state, payee_account_number FROM settlement_instructions WHERE contract_id = $1 AND kind = 'refund' ORDER BY created_at`,
        [x.c.id],
      );
    const [refund] = await outs();
    expect((await x.report(refund.id, '3000.00', { status: 'executed', bankTransactionId: `RF${x.c.id.slice(0, 8)}1` }, x.s.escrow.accountNumber)).status).toBe(201);
    expect(await x.contract()).toMatchObject({ state: 'refunded', amountPaid: '3000.00' });

    // The bank executes the second debit now (and repeats its result): the money is returned at once, one movement.
    const executed = { status: 'executed' as const, bankTransactionId: `DB${x.c.id.slice(0, 8)}2` };
    expect((await x.report(d2.id, '3000.00', executed)).status).toBe(201);
    expect((await x.report(d2.id, '3000.00', executed)).status).toBe(201);
    const [, ret, ...none] = await outs();
    expect(none).toEqual([]);
    expect(ret).toMatchObject({ amount: '3000.00', source_ref: `debit-return.${d2.id}`, payee_account_number: mandate.accountNumber, state: 'pending' });
    expect(await x.contract()).toMatchObject({ state: 'refunded', amountPaid: '6000.00' });
    expect(await x.balance()).toMatchObject({ paidIn: '6000.00', held: '0.00' });
    const events = await t.db.query(`SELECT type FROM supervision_events WHERE institution_id = $1 AND type = 'LATE_DEBIT_RETURNED'`, [x.s.inst.id]);
    expect(events).toHaveLength(1);
    expect(await invariantViolations(t.db.url)).toEqual([]);

    // The bank pays it out: nothing of the payer's is left in escrow.
    expect((await x.report(ret.id, '3000.00', { status: 'executed', bankTransactionId: `RF${x.c.id.slice(0, 8)}2` }, x.s.escrow.accountNumber)).status).toBe(201);
    const [{ owed }] = await t.db.query<{ owed: string }>(
      `SELECT coalesce(sum(b.balance), 0)::text AS owed FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
        WHERE a.escrow_account_id = $1 AND a.type IN ('contract_held', 'refund_payable', 'suspense')`,
      [x.s.escrow.id],
    );
    expect(owed).toBe('0.00');
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a debit already sent when the payer stops is honoured when the bank executes it', async () => {
    const x = await setup();
    await job().handle({ today: '2026-12-15' });
    const [d1] = await x.debits();
    const stopped = await t.request('POST', '/payer/instalments/stop', { ...x.payer, body: { reason: '先不上了' } });
    expect(stopped.body.instalments.map((i: { state: string }) => i.state)).toEqual(['instructed', 'cancelled', 'cancelled', 'cancelled']);
    expect(await x.contract()).toMatchObject({ state: 'awaiting_payment', totalPrice: '3000.00', lessons: 12, endDate: '2027-03-31' });
    expect((await x.report(d1.id, '3000.00', { status: 'executed', bankTransactionId: `DB${x.c.id.slice(0, 8)}1` })).status).toBe(201);
    expect(await x.contract()).toMatchObject({ state: 'active', amountPaid: '3000.00', totalPrice: '3000.00' });
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('stopped before anything was collected, the sent debit failing: the contract is terminated', async () => {
    const x = await setup();
    await job().handle({ today: '2026-12-15' });
    const [d1] = await x.debits();
    await t.request('POST', '/payer/instalments/stop', { ...x.payer, body: { reason: '先不上了' } });
    expect((await x.report(d1.id, '3000.00', { status: 'failed', reasonCode: 'MD07' })).status).toBe(201);
    expect(await x.states()).toEqual(['failed', 'cancelled', 'cancelled', 'cancelled']);
    expect(await x.contract()).toMatchObject({ state: 'terminated', amountPaid: '0.00' });
  });
});
