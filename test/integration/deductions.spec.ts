import { Webhook } from 'standardwebhooks';
import { Clock } from '@common/clock';
import { ClosureRefundsJob } from '@modules/closures/jobs/closure-refunds.job';
import { DeductionsDueJob } from '@modules/deductions/jobs/deductions-due.job';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Scheduled bank deductions (issue 15), periodic release: a time-based course in a district whose
 * policy releases it monthly gets three periods at signing; the daily job instructs each due period
 * once, catching up missed days; a freeze, an objection and a contract not paid yet block, a pause
 * shifts, a refund cancels what is not due. Real PostgreSQL; the bank's results come through the
 * signed callback.
 */
describe('scheduled deductions (periodic release)', () => {
  let t: TestApp;
  let seq = 0;
  let district = 310100;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
  });
  afterAll(() => t.close());

  const clock = () => t.app.get(Clock);
  const job = () => t.app.get(DeductionsDueJob);

  const setup = async (opts: { total?: string; pay?: boolean; frequency?: 'monthly' | 'weekly'; startDate?: string; endDate?: string } = {}) => {
    clock().travelTo(new Date(`${opts.startDate ? opts.startDate.slice(0, 8) + '01' : '2026-11-22'}T04:00:00Z`));
    // A district of its own per test (a new policy version per district).
    const code = String(++district).padStart(6, '0').replace(/^3101/, '3101');
    const s = await school(t, { district: code, payerAccounts: true });
    const rules = (await t.request('GET', `/policies/resolve?district=${code}`, { key: s.r1 })).body.rules;
    const published = await t.request('POST', '/policies', {
      key: s.r1,
      body: { code, effectiveFrom: clock().today(), rules: { ...rules, priceCaps: [], periodicRelease: { courseKinds: ['time_based'], frequency: opts.frequency ?? 'monthly' } } },
    });
    expect(published.status).toBe(201);
    const course = (
      await t.request('POST', `/institutions/${s.inst.id}/courses`, {
        key: s.instKey,
        body: { name: '三个月编程', category: 'subject', kind: 'time_based', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' },
      })
    ).body;
    const total = opts.total ?? '10000.00';
    const signed = await t.request('POST', `/institutions/${s.inst.id}/contracts`, {
      key: s.instKey,
      body: { courseId: course.id, payerName: '家长', payerPhone: '13600000000', studentName: '学生', lessons: 60, totalPrice: total, startDate: opts.startDate ?? '2026-12-01', endDate: opts.endDate ?? '2027-02-28' },
    });
    expect(signed.status).toBe(201);
    const c = signed.body as { id: string; reference: string; payerToken: string };
    if (opts.pay !== false) await s.fund(c.reference, total);
    const payer = { key: null, headers: { 'payer-token': c.payerToken } };
    const schedule = async () => (await t.request('GET', `/contracts/${c.id}/schedule`, { key: s.instKey })).body;
    const states = async () => (await schedule()).periods.map((p: { state: string }) => p.state);
    const balance = async () => (await t.request('GET', `/ledger/contracts/${c.id}/balance`, { key: s.r1 })).body;
    const movements = () =>
      t.db.query<{ id: string; amount: string; source_ref: string; kind: string }>(
        `SELECT id, amount::text, source_ref, kind FROM settlement_instructions WHERE contract_id = $1 AND kind = 'deduction' ORDER BY created_at, amount`,
        [c.id],
      );
    const report = (movementId: string, amount: string, result: { status: 'executed'; bankTransactionId: string } | { status: 'failed'; reasonCode: string }) => {
      const payload = JSON.stringify({ instructionId: movementId, amount, currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, ...result });
      const id = `deduction-result-${++seq}`;
      const at = new Date();
      return t.request('POST', '/bank/settlement-results', {
        key: s.bankKey,
        rawBody: payload,
        headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(s.secret).sign(id, at, payload) },
      });
    };
    return { s, c, code, payer, schedule, states, balance, movements, report };
  };

  it('three monthly periods at signing, shown to the institution and the payer; each instructed once on its day, missed days caught up; executed, the contract completes', async () => {
    const x = await setup();
    const expected = {
      mode: 'deduction',
      periods: [
        { seq: 1, dueDate: '2027-01-01', amount: '3333.33', state: 'scheduled', periodFrom: '2026-12-01', periodTo: '2026-12-31' },
        { seq: 2, dueDate: '2027-02-01', amount: '3333.33', state: 'scheduled', periodFrom: '2027-01-01', periodTo: '2027-01-31' },
        { seq: 3, dueDate: '2027-03-01', amount: '3333.34', state: 'scheduled', periodFrom: '2027-02-01', periodTo: '2027-02-28' },
      ],
      instalments: [],
    };
    expect(await x.schedule()).toEqual(expected);
    expect((await t.request('GET', '/payer/schedule', x.payer)).body).toEqual(expected);
    expect((await t.request('GET', `/contracts/${x.c.id}/schedule`, { key: x.s.r1 })).status).toBe(200);

    expect(await job().handle({ today: '2026-12-31' })).toMatchObject({ instructed: 0 });
    // The scheduler runs twice at once on the first due day: one movement.
    const [a, b] = await Promise.all([job().handle({ today: '2027-01-01' }), job().handle({ today: '2027-01-01' })]);
    expect(a.instructed + b.instructed).toBe(1);
    expect(await x.states()).toEqual(['instructed', 'scheduled', 'scheduled']);
    expect(await job().handle({ today: '2027-01-01' })).toMatchObject({ instructed: 0 });
    // The worker was down on 1 February and on 1 March: the run of 3 March catches both up, once each.
    expect(await job().handle({ today: '2027-03-03' })).toMatchObject({ instructed: 2 });
    expect(await job().handle({ today: '2027-03-04' })).toMatchObject({ instructed: 0 });
    const ms = await x.movements();
    expect(ms.map((m) => m.amount).sort()).toEqual(['3333.33', '3333.33', '3333.34']);
    expect(new Set(ms.map((m) => m.source_ref)).size).toBe(3);
    expect(await x.balance()).toMatchObject({ paidIn: '10000.00', released: '10000.00', held: '0.00', consistent: true });

    for (const [i, m] of ms.entries()) {
      const r = await x.report(m.id, m.amount, { status: 'executed', bankTransactionId: `DD${x.c.id.slice(0, 6)}${i}` });
      expect(r.status).toBe(201);
    }
    expect(await x.states()).toEqual(['deducted', 'deducted', 'deducted']);
    expect((await t.request('GET', `/contracts/${x.c.id}`)).body.state).toBe('completed');
    // The institution was paid: released = settled; the audit sees it as released money.
    const audit = (await t.request('GET', `/audit/institutions/${x.s.inst.id}`, { key: x.s.r1 })).body;
    expect(JSON.stringify(audit)).toContain('10000.00');
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('nothing goes out before the contract is paid, nor from a frozen escrow account; blocked periods go after the unfreeze', async () => {
    const x = await setup({ pay: false });
    await job().handle({ today: '2027-01-05' });
    expect(await x.states()).toEqual(['scheduled', 'scheduled', 'scheduled']);
    await x.s.fund(x.c.reference, '10000.00');
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    expect((await t.request('POST', `/escrow-accounts/${x.s.escrow.id}/freeze`, { key: x.s.r1, body: { reason: '风险' } })).status).toBe(200);
    await job().handle({ today: '2027-01-05' });
    expect(await x.states()).toEqual(['scheduled', 'scheduled', 'scheduled']);
    expect((await t.request('POST', `/escrow-accounts/${x.s.escrow.id}/unfreeze`, { key: x.s.r1, body: { reason: 'cleared' } })).status).toBe(200);
    await job().handle({ today: '2027-01-06' });
    expect(await x.states()).toEqual(['instructed', 'scheduled', 'scheduled']);
  });

  it("a payer's objection holds its period (the next one goes by its date) until a regulator's decision releases it", async () => {
    const x = await setup();
    clock().travelTo(new Date('2026-12-20T04:00:00Z'));
    const objected = await t.request('POST', '/payer/schedule/objections', { ...x.payer, body: { seq: 1, reason: '十二月没有上课' } });
    expect(objected.status).toBe(201);
    expect(objected.body).toMatchObject({ seq: 1, state: 'objected' });
    // Twice: the period is no longer open.
    expect((await t.request('POST', '/payer/schedule/objections', { ...x.payer, body: { seq: 1, reason: '十二月没有上课' } })).body.error.code).toBe('DEDUCTION_PERIOD_NOT_OPEN');
    const events = await t.db.query(`SELECT type FROM supervision_events WHERE institution_id = $1 AND type = 'DEDUCTION_OBJECTED'`, [x.s.inst.id]);
    expect(events).toHaveLength(1);
    await job().handle({ today: '2027-02-02' });
    expect(await x.states()).toEqual(['objected', 'instructed', 'scheduled']);
    // The institution may not decide; the district's regulator does.
    expect((await t.request('POST', `/contracts/${x.c.id}/schedule/periods/1/decision`, { key: x.s.instKey, body: { decision: 'release', reason: 'x' } })).status).toBe(403);
    clock().travelTo(new Date('2027-02-03T04:00:00Z'));
    const decided = await t.request('POST', `/contracts/${x.c.id}/schedule/periods/1/decision`, { key: x.s.r1, body: { decision: 'release', reason: '课堂记录齐全' } });
    expect(decided.status).toBe(200);
    // Released at once: it was due.
    expect(decided.body).toMatchObject({ seq: 1, state: 'instructed' });
    expect((await x.movements()).length).toBe(2);
    // An objection upheld: the period's money stays held for the payer.
    expect((await t.request('POST', '/payer/schedule/objections', { ...x.payer, body: { seq: 3, reason: '二月停课' } })).status).toBe(201);
    expect((await t.request('POST', `/contracts/${x.c.id}/schedule/periods/3/decision`, { key: x.s.r1, body: { decision: 'withhold', reason: '确认停课' } })).body.state).toBe('withheld');
    await job().handle({ today: '2027-03-05' });
    expect(await x.states()).toEqual(['instructed', 'instructed', 'withheld']);
    expect(await x.balance()).toMatchObject({ held: '3333.34', released: '6666.66' });
  });

  it('an agreed pause moves the periods not yet due by its days', async () => {
    const x = await setup();
    clock().travelTo(new Date('2027-01-05T04:00:00Z'));
    const proposed = await t.request('POST', `/contracts/${x.c.id}/schedule/pauses`, { key: x.s.instKey, body: { from: '2027-01-10', days: 14, reason: '寒假请假' } });
    expect(proposed.status).toBe(201);
    const twice = await t.request('POST', `/contracts/${x.c.id}/schedule/pauses`, { key: x.s.instKey, body: { from: '2027-01-20', days: 3, reason: '再请假' } });
    expect(twice.body.error.code).toBe('PAUSE_ALREADY_PROPOSED');
    // Nothing moves until the payer agrees.
    expect((await x.schedule()).periods[1].dueDate).toBe('2027-02-01');
    const agreed = await t.request('POST', '/payer/schedule/pauses/agree', x.payer);
    expect(agreed.status).toBe(200);
    expect(agreed.body).toMatchObject({ state: 'agreed', days: 14, shiftedPeriods: 2 });
    expect((await t.request('POST', '/payer/schedule/pauses/agree', x.payer)).body.error.code).toBe('NO_PAUSE_PROPOSED');
    expect((await x.schedule()).periods.map((p: { dueDate: string }) => p.dueDate)).toEqual(['2027-01-01', '2027-02-15', '2027-03-15']);
    await job().handle({ today: '2027-02-14' });
    expect(await x.states()).toEqual(['instructed', 'scheduled', 'scheduled']);
    await job().handle({ today: '2027-02-15' });
    expect(await x.states()).toEqual(['instructed', 'instructed', 'scheduled']);
  });

  it('a refund midway keeps the periods taken or due for the institution and cancels the rest, refunding their amount', async () => {
    const x = await setup();
    await job().handle({ today: '2027-01-01' });
    expect(await x.states()).toEqual(['instructed', 'scheduled', 'scheduled']);
    clock().travelTo(new Date('2027-01-15T04:00:00Z'));
    const asked = await t.request('POST', '/payer/refunds', { ...x.payer, body: { reason: '搬家' } });
    expect(asked.status).toBe(201);
    expect(asked.body.computation).toMatchObject({ phase: 'after_start', refund: '6666.67' });
    const approved = await t.request('POST', `/refunds/${asked.body.id}/approve`, { key: x.s.instKey });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', amount: '6666.67' });
    expect(await x.states()).toEqual(['instructed', 'cancelled', 'cancelled']);
    await job().handle({ today: '2027-03-05' });
    expect(await x.states()).toEqual(['instructed', 'cancelled', 'cancelled']);
    expect(await x.balance()).toMatchObject({ paidIn: '10000.00', released: '3333.33', refunded: '6666.67', held: '0.00' });
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it("a closure refunds a contract under periodic release by its schedule: the plan's claim, the report and the refund are the one amount", async () => {
    const x = await setup();
    await job().handle({ today: '2027-02-01' });
    for (const [i, m] of (await x.movements()).entries()) expect((await x.report(m.id, m.amount, { status: 'executed', bankTransactionId: `DC${x.c.id.slice(0, 6)}${i}` })).status).toBe(201);
    expect(await x.states()).toEqual(['deducted', 'deducted', 'scheduled']);
    clock().travelTo(new Date('2027-02-10T04:00:00Z'));
    const opened = await t.request('POST', `/institutions/${x.s.inst.id}/closures`, { key: x.s.r1, body: { kind: 'immediate', reason: '举办者失联' } });
    expect(opened.status).toBe(201);
    expect(await t.app.get(ClosureRefundsJob).handle({ closureId: opened.body.id })).toEqual({ processed: 1, remaining: 0 });

    // Two periods taken (6,666.66): the payer is owed the third, 3,333.34, and is refunded exactly that; nothing is left owed.
    const closure = (await t.request('GET', `/closures/${opened.body.id}`, { key: x.s.r1 })).body;
    expect(closure).toMatchObject({ state: 'refunds_done', pool: '3333.34', claims: '3333.34', progress: { refunded: 1, owed: 0, refundedAmount: '3333.34', owedAmount: '0.00' } });
    const [line] = (await t.request('GET', `/closures/${opened.body.id}/report`, { key: x.s.r1 })).body.contracts;
    expect(line).toMatchObject({ outcome: 'refunded', amount: '3333.34', owed: '0.00' });
    expect((await t.request('GET', `/refunds/${line.refundId}`, { key: x.s.r1 })).body).toMatchObject({ state: 'approved', amount: '3333.34', computation: { refund: '3333.34' } });
    const refunds = await t.db.query<{ amount: string }>(`SELECT amount::text FROM settlement_instructions WHERE contract_id = $1 AND kind = 'refund'`, [x.c.id]);
    expect(refunds).toEqual([{ amount: '3333.34' }]);
    expect(await x.states()).toEqual(['deducted', 'deducted', 'cancelled']);
    expect(await x.balance()).toMatchObject({ paidIn: '10000.00', released: '6666.66', held: '0.00' });
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a closure transfers a contract under periodic release with what its schedule does not keep; its periods not due end with it', async () => {
    const x = await setup();
    await job().handle({ today: '2027-01-01' });
    const [m1] = await x.movements();
    expect((await x.report(m1.id, m1.amount, { status: 'executed', bankTransactionId: `DT${x.c.id.slice(0, 6)}1` })).status).toBe(201);
    clock().travelTo(new Date('2027-01-10T04:00:00Z'));
    const receiver = await school(t, { district: x.code, payerAccounts: true });
    const closure = (await t.request('POST', `/institutions/${x.s.inst.id}/closures`, { key: x.s.r1, body: { kind: 'immediate', reason: '举办者失联' } })).body;
    const id = (await t.request('POST', `/closures/${closure.id}/transfers`, { key: x.s.r1, body: { contractId: x.c.id, receivingInstitutionId: receiver.inst.id, reason: '就近转入' } })).body.id as string;
    expect((await t.request('POST', `/transfers/${id}/accept`, { key: receiver.instKey, body: { courseId: receiver.course.id } })).status).toBe(200);
    const consented = await t.request('POST', `/payer/transfers/${id}/consent`, { key: null, headers: { 'payer-token': x.c.payerToken } });
    // One period taken (3,333.33): the rest, 6,666.67, moves with the student, as a refund would have paid it.
    expect(consented.status).toBe(200);
    expect(consented.body).toMatchObject({ state: 'instructed', amount: '6666.67' });
    expect(await x.states()).toEqual(['deducted', 'cancelled', 'cancelled']);
    expect(await x.balance()).toMatchObject({ paidIn: '10000.00', released: '3333.33', held: '0.00' });
    const [transfer] = await t.db.query<{ id: string }>(`SELECT id FROM settlement_instructions WHERE contract_id = $1 AND kind = 'transfer'`, [x.c.id]);
    expect((await x.report(transfer.id, '6666.67', { status: 'executed', bankTransactionId: `TR${x.c.id.slice(0, 6)}` })).status).toBe(201);
    expect((await t.request('GET', `/contracts/${consented.body.newContractId}`, { key: receiver.instKey })).body).toMatchObject({ state: 'active', amountPaid: '6666.67' });
    expect((await t.request('GET', `/closures/${closure.id}/report`, { key: x.s.r1 })).body.contracts).toEqual([expect.objectContaining({ outcome: 'transferred', amount: '6666.67', owed: '0.00' })]);
    // Nothing of the old schedule is instructed afterwards.
    await job().handle({ today: '2027-03-05' });
    expect(await x.movements()).toHaveLength(1);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('signed on 31 January: periods start on 28 February and 31 March; 3,333.33 over 7 weeks splits exactly', async () => {
    const jan = await setup({ startDate: '2027-01-31', endDate: '2027-04-29', pay: false });
    expect((await jan.schedule()).periods).toEqual([
      { seq: 1, periodFrom: '2027-01-31', periodTo: '2027-02-27', dueDate: '2027-02-28', amount: '3333.33', state: 'scheduled' },
      { seq: 2, periodFrom: '2027-02-28', periodTo: '2027-03-30', dueDate: '2027-03-31', amount: '3333.33', state: 'scheduled' },
      { seq: 3, periodFrom: '2027-03-31', periodTo: '2027-04-29', dueDate: '2027-04-30', amount: '3333.34', state: 'scheduled' },
    ]);
    const weeks = await setup({ frequency: 'weekly', startDate: '2027-03-01', endDate: '2027-04-18', total: '3333.33', pay: false });
    const periods = (await weeks.schedule()).periods as { amount: string; dueDate: string }[];
    expect(periods.map((p) => p.amount)).toEqual(Array(7).fill('476.19'));
    expect(periods.map((p) => p.dueDate)).toEqual(['2027-03-08', '2027-03-15', '2027-03-22', '2027-03-29', '2027-04-05', '2027-04-12', '2027-04-19']);
  });

  it('a policy version without periodicRelease releases per its cadence: no schedule', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { district: '310118' });
    const c = await s.contract(10, '1000.00');
    expect((await t.request('GET', `/contracts/${c.id}/schedule`, { key: s.instKey })).body).toEqual({ mode: null, periods: [], instalments: [] });
    expect((await t.request('POST', '/payer/schedule/objections', { key: null, headers: { 'payer-token': c.payerToken }, body: { seq: 1, reason: '没有上课' } })).body.error.code).toBe('NO_DEDUCTION_SCHEDULE');
  });
});
