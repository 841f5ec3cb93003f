import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Clock } from '@common/clock';
import { Money } from '@common/money/money';
import { BankCreditsService } from '@modules/bank-credits/bank-credits.service';
import { ClosureRefundsService } from '@modules/closures/closure-refunds.service';
import { PlannedClosuresJob } from '@modules/closures/jobs/planned-closures.job';
import { LedgerService } from '@modules/ledger/ledger.service';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { signedBy } from '../support/bank-signing';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Closures, second part (issue 14): a planned closure with the policy's notice, started on its
 * date exactly once; a closure with one transfer and refunds (the money leaves one escrow account
 * and funds the new contract in the other, each account expecting its own statement line); a
 * shortfall paid pro rata with what stays owed per contract. No workers: the test runs the jobs.
 */
describe('planned closures, transfers and pro rata refunds', () => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
  });
  afterAll(() => t.close());
  const clock = () => t.app.get(Clock);
  const refunds = () => t.app.get(ClosureRefundsService);
  const sign = (s: { bankKey: string; secret: string }, body: unknown) => {
    const raw = JSON.stringify(body);
    return { key: s.bankKey, rawBody: raw, headers: signedBy(s.secret, raw, `cpt-${++seq}`) };
  };
  const lesson = async (s: Awaited<ReturnType<typeof school>>, contractId: string, day: string) =>
    t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
      key: s.instKey,
      body: { sessionKey: `cpt-${++seq}`, courseId: s.course.id, startsAt: `${day}T01:00:00Z`, endsAt: `${day}T02:00:00Z`, teacher: '王', location: '1', attendees: [contractId] },
    });

  it('a planned closure: the policy’s notice, no new contracts meanwhile, started on its date exactly once', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const other = await school(t, { district: '310115' });
    const c = await s.contract(10, '1000.00');
    const path = `/institutions/${s.inst.id}/closures`;
    expect((await t.request('POST', path, { key: other.r1, body: { kind: 'planned', reason: '计划停办' } })).status).toBe(404);
    expect((await t.request('POST', path, { key: s.instKey, body: { kind: 'planned', reason: '计划停办' } })).status).toBe(403);
    const early = await t.request('POST', path, { key: s.r1, body: { kind: 'planned', reason: '计划停办', closureDate: '2026-12-10' } });
    expect(early.status).toBe(422);
    expect(early.body.error).toMatchObject({ code: 'CLOSURE_NOTICE_TOO_SHORT', details: { earliest: '2026-12-22', noticeMonths: 1 } });
    expect((await t.request('POST', path, { key: s.r1, body: { kind: 'planned', reason: '计划停办', closureDate: '2026-02-30' } })).status).toBe(400);
    const opened = await t.request('POST', path, { key: s.r1, body: { kind: 'planned', reason: '计划停办' } });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ kind: 'planned', state: 'announced', closureDate: '2026-12-22', startedAt: null });
    // No new contract from the announcement on; the escrow account still releases delivered lessons.
    const refused = await t.request('POST', `/institutions/${s.inst.id}/contracts`, {
      key: s.instKey,
      body: { courseId: s.course.id, payerName: '家长', payerPhone: '13600000000', studentName: '学生', lessons: 4, totalPrice: '400.00', startDate: '2026-12-10', endDate: '2027-02-28' },
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body.error.details)).toContain('INSTITUTION_CLOSING');
    expect((await t.request('GET', `/escrow-accounts/${s.escrow.id}`, { key: s.r1 })).body.state).toBe('active');
    clock().travelTo(new Date('2026-12-06T04:00:00Z'));
    for (const day of ['2026-12-02', '2026-12-03']) {
      const l = await lesson(s, c.id, day);
      expect(l.status).toBe(201);
      expect((await t.request('POST', `/payer/lessons/${l.body.lessons[0].id}/confirm`, { key: null, headers: { 'payer-token': c.payerToken } })).status).toBe(200);
    }
    const job = t.app.get(PlannedClosuresJob);
    expect(await job.handle({ today: '2026-12-21' })).toEqual({ started: [] });
    // On the date: two runs at once start it once, with one queued bulk refund.
    const [a, b] = await Promise.all([job.handle({ today: '2026-12-22' }), job.handle({ today: '2026-12-22' })]);
    expect([...a.started, ...b.started]).toEqual([opened.body.id]);
    expect(await job.handle({ today: '2026-12-23' })).toEqual({ started: [] });
    const started = (await t.request('GET', `/closures/${opened.body.id}`, { key: s.r1 })).body;
    expect(started).toMatchObject({ state: 'refunding', startedAt: expect.any(String) });
    expect((await t.request('GET', `/escrow-accounts/${s.escrow.id}`, { key: s.r1 })).body.state).toBe('frozen');
    expect(await t.db.query(`SELECT 1 FROM outbox WHERE job_id = $1`, [`closure-refunds.${opened.body.id}`])).toHaveLength(1);
    expect(await refunds().processRefunds(opened.body.id)).toEqual({ processed: 1, remaining: 0 });
    const report = (await t.request('GET', `/closures/${opened.body.id}/report`, { key: s.instKey })).body;
    expect(report.contracts).toEqual([expect.objectContaining({ reference: c.reference, outcome: 'refunded', amount: '800.00', owed: '0.00' })]);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a closure with one transfer and refunds: the money moves to the receiving escrow account, each account expecting its line', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const receiver = await school(t, { payerAccounts: true });
    const stranger = await school(t, { payerAccounts: true });
    const far = await school(t, { district: '310115' });
    const moving = await s.contract(10, '1000.00');
    const staying = await s.contract(5, '500.00');
    const closure = (await t.request('POST', `/institutions/${s.inst.id}/closures`, { key: s.r1, body: { kind: 'immediate', reason: '举办者失联' } })).body;
    const body = { contractId: moving.id, receivingInstitutionId: receiver.inst.id, reason: '就近转入' };
    const propose = (key: string, b: unknown = body) => t.request('POST', `/closures/${closure.id}/transfers`, { key, body: b });
    // Scope: another district's regulator does not see the closure; the institution may not propose; a receiver out of scope is not found.
    expect((await propose(far.r1)).status).toBe(404);
    expect((await propose(s.instKey)).status).toBe(403);
    expect((await propose(s.r1, { ...body, receivingInstitutionId: far.inst.id })).status).toBe(404);
    expect((await propose(s.r1, { ...body, receivingInstitutionId: s.inst.id })).body.error.code).toBe('TRANSFER_NOT_POSSIBLE');
    const proposed = await propose(s.r1);
    expect(proposed.status).toBe(201);
    expect(proposed.body).toMatchObject({ state: 'proposed', accepted: false, consented: false });
    expect((await propose(s.r1)).body.id).toBe(proposed.body.id);
    const id = proposed.body.id as string;
    // The bulk refunds leave a contract under transfer to its transfer.
    expect(await refunds().processRefunds(closure.id)).toEqual({ processed: 1, remaining: 1 });

    // Only the receiving institution accepts; only the contract's payer consents.
    const accept = (key: string) => t.request('POST', `/transfers/${id}/accept`, { key, body: { courseId: receiver.course.id } });
    expect((await accept(stranger.instKey)).status).toBe(404);
    expect((await accept(s.instKey)).status).toBe(404);
    expect((await accept(far.r1)).status).toBe(403);
    const consent = (token: string) => t.request('POST', `/payer/transfers/${id}/consent`, { key: null, headers: { 'payer-token': token } });
    expect((await consent(staying.payerToken)).status).toBe(404);
    const accepted = await accept(receiver.instKey);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ state: 'proposed', accepted: true, consented: false, newPayerToken: null });
    const consented = await consent(moving.payerToken);
    expect([consented.status, consented.status === 200 ? '' : consented.text]).toEqual([200, '']);
    expect(consented.body).toMatchObject({ state: 'instructed', amount: '1000.00', newPayerToken: expect.stringMatching(/^pay_/) });
    expect((await consent(moving.payerToken)).body).toMatchObject({ state: 'instructed', newPayerToken: null });
    expect((await t.request('GET', `/transfers/${id}`, { key: receiver.instKey })).status).toBe(200);
    expect((await t.request('GET', `/transfers/${id}`, { key: stranger.instKey })).status).toBe(404);
    expect((await t.request('GET', `/transfers/${id}`, { key: far.r1 })).status).toBe(404);

    const movement = (await t.db.query<{ id: string; kind: string; payee_account_number: string; end_to_end_ref: string; state: string }>(
      `SELECT id, kind, payee_account_number, end_to_end_ref, state FROM settlement_instructions WHERE id = $1`,
      [consented.body.movementId],
    ))[0];
    expect(movement).toMatchObject({ kind: 'transfer', payee_account_number: receiver.escrow.accountNumber });
    const next = (await t.request('GET', `/contracts/${consented.body.newContractId}`, { key: receiver.instKey })).body;
    expect(next).toMatchObject({ institutionId: receiver.inst.id, state: 'awaiting_payment', lessons: 10, totalPrice: '1000.00' });
    const closed = (await t.request('GET', `/closures/${closure.id}`, { key: s.r1 })).body;
    expect(closed).toMatchObject({ state: 'refunds_done', progress: { processed: 2, refunded: 1, transferred: 1, owed: 0, transferredAmount: '1000.00', refundedAmount: '500.00' } });

    // The old escrow account's bank executes it: out of one account, into the other, the new contract paid in full.
    const executed = await t.request('POST', '/bank/settlement-results', sign(s, { instructionId: movement.id, status: 'executed', amount: '1000.00', currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: `TRF-${++seq}` }));
    expect(executed.status).toBe(201);
    expect((await t.request('GET', `/transfers/${id}`, { key: s.r1 })).body.state).toBe('completed');
    expect((await t.request('GET', `/contracts/${next.id}`, { key: receiver.instKey })).body).toMatchObject({ state: 'active', amountPaid: '1000.00' });
    const ledger = t.app.get(LedgerService);
    const cash = (e: { id: string }, instId: string) => ledger.balanceOf('bank_cash', { escrowAccountId: e.id, institutionId: instId, currency: 'CNY' });
    expect((await cash(s.escrow, s.inst.id)).toString()).toBe('500.00'); // the refund of the staying contract is not executed yet
    expect((await cash(receiver.escrow, receiver.inst.id)).toString()).toBe('1000.00');
    expect((await ledger.balanceOf('transfer_payable', { escrowAccountId: s.escrow.id, institutionId: s.inst.id, currency: 'CNY' })).toString()).toBe('0.00');
    // Reconciliation sees a debit on the old account and a credit on the new one, both by the transfer's end-to-end reference.
    const today = clock().today();
    const out = await t.app.get(MoneyMovementsService).expectedLines(t.app.get(DataSource).manager, s.escrow.id, today, today, new Date(0));
    expect(out.filter((l) => l.id === movement.id)).toEqual([expect.objectContaining({ direction: 'DBIT', amount: '1000.00', references: expect.arrayContaining([movement.end_to_end_ref]) })]);
    const into = await t.app.get(BankCreditsService).expectedLines(t.app.get(DataSource).manager, receiver.escrow.id, today, today, new Date(0));
    expect(into.filter((l) => l.references.includes(movement.end_to_end_ref))).toEqual([expect.objectContaining({ direction: 'CRDT', amount: '1000.00' })]);

    // The escrow audit: the closing institution's money went out as transferred and refunded; the receiver holds it now.
    const audit = async (instId: string) => (await t.request('GET', `/audit/institutions/${instId}`, { key: s.r1 })).body.institutions[0];
    expect(await audit(s.inst.id)).toMatchObject({ paidIn: '1500.00', transferred: '1000.00', refunded: '500.00', obligations: '0.00', bankCash: '500.00' });
    expect(await audit(receiver.inst.id)).toMatchObject({ paidIn: '1000.00', obligations: '1000.00', bankCash: '1000.00' });
    const report = (await t.request('GET', `/closures/${closure.id}/report`, { key: s.r1 })).body;
    const byRef = Object.fromEntries(report.contracts.map((c: { reference: string }) => [c.reference, c]));
    expect(byRef[moving.reference]).toMatchObject({ outcome: 'transferred', amount: '1000.00', owed: '0.00', transferId: id, receivingInstitutionId: receiver.inst.id, newContractId: next.id });
    expect(byRef[staying.reference]).toMatchObject({ outcome: 'refunded', amount: '500.00', owed: '0.00' });
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a student transferred into a course its district releases on a schedule: the new contract is periodic, with its deduction schedule', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const district = '310199';
    const s = await school(t, { district, payerAccounts: true });
    const receiver = await school(t, { district, payerAccounts: true });
    const rules = (await t.request('GET', `/policies/resolve?district=${district}`, { key: s.r1 })).body.rules;
    const published = await t.request('POST', '/policies', {
      key: s.r1,
      body: { code: district, effectiveFrom: clock().today(), rules: { ...rules, priceCaps: [], periodicRelease: { courseKinds: ['time_based'], frequency: 'monthly' } } },
    });
    expect(published.status).toBe(201);
    const course = (
      await t.request('POST', `/institutions/${receiver.inst.id}/courses`, {
        key: receiver.instKey,
        body: { name: '三个月编程', category: 'subject', kind: 'time_based', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' },
      })
    ).body;
    const moving = await s.contract(10, '1000.00');
    const closure = (await t.request('POST', `/institutions/${s.inst.id}/closures`, { key: s.r1, body: { kind: 'immediate', reason: '举办者失联' } })).body;
    const id = (await t.request('POST', `/closures/${closure.id}/transfers`, { key: s.r1, body: { contractId: moving.id, receivingInstitutionId: receiver.inst.id, reason: '就近转入' } })).body.id as string;
    expect((await t.request('POST', `/transfers/${id}/accept`, { key: receiver.instKey, body: { courseId: course.id } })).status).toBe(200);
    const consented = await t.request('POST', `/payer/transfers/${id}/consent`, { key: null, headers: { 'payer-token': moving.payerToken } });
    expect(consented.body).toMatchObject({ state: 'instructed', amount: '1000.00' });
    const next = consented.body.newContractId as string;
    const [{ release_cadence }] = await t.db.query<{ release_cadence: unknown }>(`SELECT release_cadence FROM contracts WHERE id = $1`, [next]);
    expect(release_cadence).toEqual({ kind: 'periodic', frequency: 'monthly' });
    // The schedule of any periodic signing: monthly periods from 1 December to 28 February, an exact split of the 1,000.00 moved.
    const schedule = (await t.request('GET', `/contracts/${next}/schedule`, { key: receiver.instKey })).body;
    expect(schedule).toMatchObject({ mode: 'deduction', instalments: [] });
    expect(schedule.periods.map((p: { amount: string; periodFrom: string }) => [p.periodFrom, p.amount])).toEqual([
      ['2026-12-01', '333.33'],
      ['2027-01-01', '333.33'],
      ['2027-02-01', '333.34'],
    ]);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('the receiver’s acceptance and the payer’s consent racing: one new contract, one transfer movement', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const receiver = await school(t, { payerAccounts: true });
    const c = await s.contract(6, '600.00');
    const closure = (await t.request('POST', `/institutions/${s.inst.id}/closures`, { key: s.r1, body: { kind: 'planned', reason: '计划停办' } })).body;
    const id = (await t.request('POST', `/closures/${closure.id}/transfers`, { key: s.r1, body: { contractId: c.id, receivingInstitutionId: receiver.inst.id, reason: '转入' } })).body.id as string;
    const [accepted, consented] = await Promise.all([
      t.request('POST', `/transfers/${id}/accept`, { key: receiver.instKey, body: { courseId: receiver.course.id } }),
      t.request('POST', `/payer/transfers/${id}/consent`, { key: null, headers: { 'payer-token': c.payerToken } }),
    ]);
    expect([accepted.status, consented.status]).toEqual([200, 200]);
    // Whoever answered last gets the new payer token; the other answer names none.
    expect([accepted.body.newPayerToken, consented.body.newPayerToken].filter(Boolean)).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM settlement_instructions WHERE contract_id = $1 AND kind = 'transfer'`, [c.id])).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM contracts WHERE institution_id = $1`, [receiver.inst.id])).toHaveLength(1);
    expect((await t.request('GET', `/transfers/${id}`, { key: s.r1 })).body).toMatchObject({ state: 'instructed', amount: '600.00' });
  });

  it('a transfer nobody answers is withdrawn after the bulk refunds ran: the closure refunds the contract and its refunds are done', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const receiver = await school(t, { payerAccounts: true });
    const far = await school(t, { district: '310115' });
    const moving = await s.contract(8, '800.00');
    const staying = await s.contract(4, '400.00');
    const closure = (await t.request('POST', `/institutions/${s.inst.id}/closures`, { key: s.r1, body: { kind: 'immediate', reason: '举办者失联' } })).body;
    const id = (await t.request('POST', `/closures/${closure.id}/transfers`, { key: s.r1, body: { contractId: moving.id, receivingInstitutionId: receiver.inst.id, reason: '就近转入' } })).body.id as string;
    // The receiver accepted, the payer never consents: the bulk refunds leave the contract and the closure stays refunding.
    expect((await t.request('POST', `/transfers/${id}/accept`, { key: receiver.instKey, body: { courseId: receiver.course.id } })).status).toBe(200);
    expect(await refunds().processRefunds(closure.id)).toEqual({ processed: 1, remaining: 1 });
    expect((await t.request('GET', `/closures/${closure.id}`, { key: s.r1 })).body.state).toBe('refunding');

    const withdraw = (key: string, transferId = id) => t.request('POST', `/transfers/${transferId}/withdraw`, { key, body: { reason: '家长未答复' } });
    // Scope: another district's regulator does not see it, an institution (either side) may not withdraw.
    expect((await withdraw(far.r1)).status).toBe(404);
    expect((await withdraw(s.instKey)).status).toBe(403);
    expect((await withdraw(receiver.instKey)).status).toBe(403);
    expect((await t.request('POST', `/transfers/${id}/withdraw`, { key: s.r1, body: { reason: '' } })).status).toBe(400);
    const withdrawn = await withdraw(s.r1);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ id, state: 'withdrawn', withdrawalReason: '家长未答复', withdrawnAt: expect.any(String), movementId: null });
    // The same withdrawal again answers the same; a late consent finds it withdrawn and moves nothing.
    expect((await withdraw(s.r1)).body).toEqual(withdrawn.body);
    expect((await t.request('POST', `/payer/transfers/${id}/consent`, { key: null, headers: { 'payer-token': moving.payerToken } })).body.error.code).toBe('TRANSFER_NOT_POSSIBLE');
    expect(await t.db.query(`SELECT 1 FROM contracts WHERE institution_id = $1`, [receiver.inst.id])).toHaveLength(0);

    // The closure's bulk refund is queued again in the withdrawal's transaction, once (the same withdrawal again queues nothing more).
    expect(await t.db.query(`SELECT 1 FROM outbox WHERE job_id LIKE $1`, [`closure-refunds.${closure.id}%`])).toHaveLength(2);
    expect(await refunds().processRefunds(closure.id)).toEqual({ processed: 1, remaining: 0 });
    expect(await refunds().processRefunds(closure.id)).toEqual({ processed: 0, remaining: 0 });
    const done = (await t.request('GET', `/closures/${closure.id}`, { key: s.r1 })).body;
    expect(done).toMatchObject({ state: 'refunds_done', progress: { processed: 2, refunded: 2, transferred: 0, refundedAmount: '1200.00' } });
    const report = (await t.request('GET', `/closures/${closure.id}/report`, { key: s.r1 })).body;
    const byRef = Object.fromEntries(report.contracts.map((c: { reference: string }) => [c.reference, c]));
    expect(byRef[moving.reference]).toMatchObject({ outcome: 'refunded', amount: '800.00', owed: '0.00', transferId: null });
    expect(byRef[staying.reference]).toMatchObject({ outcome: 'refunded', amount: '400.00', owed: '0.00' });
    expect(await t.db.query(`SELECT 1 FROM settlement_instructions WHERE contract_id = $1 AND kind = 'refund'`, [moving.id])).toHaveLength(1);
    expect(await t.db.query(`SELECT 1 FROM settlement_instructions WHERE contract_id = $1 AND kind = 'transfer'`, [moving.id])).toHaveLength(0);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('a withdrawal racing the last answer: either withdrawn or transferred, never both; an instructed transfer is not withdrawn', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const receiver = await school(t, { payerAccounts: true });
    const contracts = [await s.contract(6, '600.00'), await s.contract(6, '600.00'), await s.contract(6, '600.00')];
    const last = await s.contract(6, '600.00');
    const closure = (await t.request('POST', `/institutions/${s.inst.id}/closures`, { key: s.r1, body: { kind: 'immediate', reason: '举办者失联' } })).body;
    const outcomes: string[] = [];
    // Each race is run with a connection holding the transfer's row lock until both requests wait on it (PostgreSQL
    // grants it in arrival order), so both orders are exercised: the third race runs free.
    const waiting = async () => Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n);
    const until = async (n: number) => {
      for (let i = 0; i < 200 && (await waiting()) < n; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await waiting()).toBeGreaterThanOrEqual(n);
    };
    for (const [i, c] of contracts.entries()) {
      const id = (await t.request('POST', `/closures/${closure.id}/transfers`, { key: s.r1, body: { contractId: c.id, receivingInstitutionId: receiver.inst.id, reason: '转入' } })).body.id as string;
      expect((await t.request('POST', `/transfers/${id}/accept`, { key: receiver.instKey, body: { courseId: receiver.course.id } })).status).toBe(200);
      const withdraw = () => t.request('POST', `/transfers/${id}/withdraw`, { key: s.r1, body: { reason: '撤回' } });
      const consent = () => t.request('POST', `/payer/transfers/${id}/consent`, { key: null, headers: { 'payer-token': c.payerToken } });
      let withdrawn: Awaited<ReturnType<typeof withdraw>>;
      let consented: Awaited<ReturnType<typeof consent>>;
      if (i < 2) {
        const blocker = new Client({ connectionString: t.db.url });
        await blocker.connect();
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM closure_transfers WHERE id = $1 FOR UPDATE', [id]);
        const [first, second] = i === 0 ? [withdraw, consent] : [consent, withdraw];
        const a = first();
        await until(1);
        const b = second();
        await until(2);
        await blocker.query('ROLLBACK');
        await blocker.end();
        [withdrawn, consented] = i === 0 ? [await a, await b] : [await b, await a];
      } else {
        [withdrawn, consented] = await Promise.all([withdraw(), consent()]);
      }
      const state = (await t.request('GET', `/transfers/${id}`, { key: s.r1 })).body.state as string;
      const moved = await t.db.query(`SELECT 1 FROM settlement_instructions WHERE contract_id = $1 AND kind = 'transfer'`, [c.id]);
      if (state === 'withdrawn') {
        expect([withdrawn.status, consented.status, consented.body.error?.code]).toEqual([200, 422, 'TRANSFER_NOT_POSSIBLE']);
        expect(moved).toHaveLength(0);
      } else {
        expect(state).toBe('instructed');
        expect([withdrawn.status, withdrawn.body.error?.code, consented.status]).toEqual([409, 'TRANSFER_NOT_WITHDRAWABLE', 200]);
        expect(moved).toHaveLength(1);
      }
      outcomes.push(state);
    }
    expect(outcomes.slice(0, 2)).toEqual(['withdrawn', 'instructed']);

    // An executed transfer (its money moved and arrived) is not withdrawn: 409, nothing changes.
    const lastId = (await t.request('POST', `/closures/${closure.id}/transfers`, { key: s.r1, body: { contractId: last.id, receivingInstitutionId: receiver.inst.id, reason: '转入' } })).body.id as string;
    expect((await t.request('POST', `/transfers/${lastId}/accept`, { key: receiver.instKey, body: { courseId: receiver.course.id } })).status).toBe(200);
    const instructed = await t.request('POST', `/payer/transfers/${lastId}/consent`, { key: null, headers: { 'payer-token': last.payerToken } });
    expect(instructed.body.state).toBe('instructed');
    const executed = await t.request('POST', '/bank/settlement-results', sign(s, { instructionId: instructed.body.movementId, status: 'executed', amount: '600.00', currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: `TRF-${++seq}` }));
    expect(executed.status).toBe(201);
    const refused = await t.request('POST', `/transfers/${lastId}/withdraw`, { key: s.r1, body: { reason: '撤回' } });
    expect([refused.status, refused.body.error?.code, refused.body.error?.details]).toEqual([409, 'TRANSFER_NOT_WITHDRAWABLE', { state: 'completed' }]);
    expect((await t.request('GET', `/transfers/${lastId}`, { key: s.r1 })).body.state).toBe('completed');

    // Whatever the race gave, each contract ends exactly once: transferred or refunded by the closure.
    await refunds().processRefunds(closure.id);
    const report = (await t.request('GET', `/closures/${closure.id}/report`, { key: s.r1 })).body;
    const expected = [...outcomes.map((o) => (o === 'withdrawn' ? 'refunded' : 'transferred')), 'transferred'];
    expect(report.contracts.map((r: { outcome: string }) => r.outcome).sort()).toEqual(expected.sort());
    expect((await t.request('GET', `/closures/${closure.id}`, { key: s.r1 })).body.state).toBe('refunds_done');
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });

  it('cash below what the payers are owed: each paid an exact pro rata share, the rest recorded as owed', async () => {
    clock().travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const contracts = [await s.contract(7, '700.00'), await s.contract(5, '500.00'), await s.contract(3, '300.00')];
    // The bank holds 500.00 less than the ledger said (money taken out of escrow), corrected by a reconciliation adjustment.
    await t.app.get(DataSource).transaction((m) =>
      t.app.get(LedgerService).adjust(m, { escrowAccountId: s.escrow.id, institutionId: s.inst.id, currency: 'CNY' }, Money.fromDb('-500.00'), `test.shortfall.${s.inst.id}`, 'money taken out before the platform', 'test'),
    );
    const closure = (await t.request('POST', `/institutions/${s.inst.id}/closures`, { key: s.r1, body: { kind: 'immediate', reason: '挪用资金' } })).body;
    expect(await refunds().processRefunds(closure.id, 1)).toEqual({ processed: 1, remaining: 2 });
    expect(await refunds().processRefunds(closure.id)).toEqual({ processed: 2, remaining: 0 });
    const done = (await t.request('GET', `/closures/${closure.id}`, { key: s.r1 })).body;
    expect(done).toMatchObject({ pool: '1000.00', claims: '1500.00', progress: { refunded: 3, owed: 3, refundedAmount: '1000.00', owedAmount: '500.00' } });
    const report = (await t.request('GET', `/closures/${closure.id}/report`, { key: s.r1 })).body;
    const byRef = Object.fromEntries(report.contracts.map((c: { reference: string }) => [c.reference, c]));
    // 700 × 1000/1500 = 466.666…, 500 × … = 333.333…, 300 × … = 200: 999.99 rounded down, the cent to the largest claim.
    expect([0, 1, 2].map((i) => [byRef[contracts[i].reference].amount, byRef[contracts[i].reference].owed])).toEqual([
      ['466.67', '233.33'],
      ['333.33', '166.67'],
      ['200.00', '100.00'],
    ]);
    const movements = await t.db.query<{ amount: string }>(`SELECT amount::text FROM settlement_instructions WHERE institution_id = $1 AND kind = 'refund' ORDER BY amount DESC`, [s.inst.id]);
    expect(movements.map((x) => x.amount)).toEqual(['466.67', '333.33', '200.00']);
    const decisions = await t.db.query<{ decision: string }>(`SELECT decision FROM refunds WHERE institution_id = $1`, [s.inst.id]);
    expect(decisions.map((d) => d.decision)).toEqual(['partial', 'partial', 'partial']);
    // Nothing of it goes to the institution: a release of a closing institution whose payers are owed is refused.
    const csv = await t.request('GET', `/closures/${closure.id}/report?format=csv`, { key: s.r1 });
    expect(csv.text).toContain(',refunded,466.67,233.33,');
    // Every contract's held money went to its refund or the pool; the pool keeps what the bank no longer has (the adjustment).
    const ledger = t.app.get(LedgerService);
    const escrowOwner = { escrowAccountId: s.escrow.id, institutionId: s.inst.id, currency: 'CNY' };
    expect((await ledger.institutionFunds(s.inst.id)).held.toString()).toBe('0.00');
    expect((await ledger.balanceOf('refund_payable', escrowOwner)).toString()).toBe('1000.00');
    expect((await ledger.balanceOf('closure_pool', escrowOwner)).toString()).toBe('500.00');
    // The audit still adds up: the pool is owed to payers (obligations), paid in = obligations + refunded.
    const audit = (await t.request('GET', `/audit/institutions/${s.inst.id}`, { key: s.r1 })).body.institutions[0];
    expect(audit).toMatchObject({ paidIn: '1500.00', obligations: '500.00', refunded: '1000.00', bankCash: '1000.00' });
    expect(await invariantViolations(t.db.url, { domain: false })).toEqual([]);
  });
});
