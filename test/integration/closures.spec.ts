import { Webhook } from 'standardwebhooks';
import { Clock } from '@common/clock';
import { ClosureRefundsJob } from '@modules/closures/jobs/closure-refunds.job';
import { ClosureRefundsService } from '@modules/closures/closure-refunds.service';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Closures, first part (issue 14): an immediate closure freezes the escrow account, stops new
 * contracts and lessons, and refunds every open contract in a resumable job, each exactly once.
 * The app runs without workers so the test decides when the job runs (and stops it half-way).
 */
describe('immediate closure with bulk refunds', () => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
  });
  afterAll(() => t.close());

  it('refunds every open contract exactly once, resumably, and reports each one (JSON and CSV)', async () => {
    const clock = t.app.get(Clock);
    clock.travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const other = await school(t, { district: '310115' });
    const started = await s.contract(10, '1000.00');
    const early = await s.contract(10, '1000.00', { startDate: '2026-12-10', endDate: '2027-02-28' });
    const asking = await s.contract(5, '500.00');
    const contesting = await s.contract(5, '500.00');
    const noAccount = await s.contract(4, '400.00', undefined, false);
    const unpaid = await s.contract(4, '400.00', undefined, false);
    // A payment that did not name the account it came from: its refund has nowhere to go.
    const payload = JSON.stringify({ bankTransactionId: `CL-${++seq}`, escrowAccountNumber: s.escrow.accountNumber, amount: '400.00', currency: 'CNY', valueDate: '2026-11-22', payerReference: noAccount.reference });
    const at = new Date();
    const credited = await t.request('POST', '/bank/credits', {
      key: s.bankKey,
      rawBody: payload,
      headers: { 'webhook-id': `cl-${seq}`, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(s.secret).sign(`cl-${seq}`, at, payload) },
    });
    expect(credited.status).toBe(201);

    clock.travelTo(new Date('2026-12-06T04:00:00Z'));
    for (let d = 1; d <= 3; d++) {
      const res = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
        key: s.instKey,
        body: { sessionKey: `cl-${++seq}`, courseId: s.course.id, startsAt: `2026-12-0${d}T01:00:00Z`, endsAt: `2026-12-0${d}T02:00:00Z`, teacher: '王', location: '1', attendees: [started.id] },
      });
      await t.request('POST', `/payer/lessons/${res.body.lessons[0].id}/confirm`, { key: null, headers: { 'payer-token': started.payerToken } });
    }
    const ask = (c: { payerToken: string }) => t.request('POST', '/payer/refunds', { key: null, headers: { 'payer-token': c.payerToken }, body: { reason: '不想上了' } });
    await ask(asking);
    const contested = (await ask(contesting)).body;
    await t.request('POST', `/refunds/${contested.id}/contest`, { key: s.instKey, body: { reason: '不同意' } });

    // Who may open it: the district's regulators.
    const path = `/institutions/${s.inst.id}/closures`;
    const body = { kind: 'immediate', reason: '举办者失联' };
    expect((await t.request('POST', path, { key: other.r1, body })).status).toBe(404);
    expect((await t.request('POST', path, { key: s.instKey, body })).status).toBe(403);
    expect((await t.request('POST', path, { key: s.r1, body: { kind: 'someday', reason: '计划停办' } })).status).toBe(400);
    expect((await t.request('POST', path, { key: s.r1, body: { ...body, closureDate: '2027-01-31' } })).status).toBe(400);
    const opened = await t.request('POST', path, { key: s.r1, body });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ institutionId: s.inst.id, kind: 'immediate', state: 'refunding' });
    expect((await t.request('POST', path, { key: s.r1, body })).body.error.code).toBe('CLOSURE_ALREADY_OPEN');
    // Frozen for releases, closing for new contracts.
    expect((await t.request('GET', `/escrow-accounts/${s.escrow.id}`, { key: s.r1 })).body.state).toBe('frozen');
    const refused = await t.request('POST', `/institutions/${s.inst.id}/contracts`, {
      key: s.instKey,
      body: { courseId: s.course.id, payerName: '家长', payerPhone: '13600000000', studentName: '学生', lessons: 4, totalPrice: '400.00', startDate: '2026-12-10', endDate: '2027-02-28' },
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body.error.details)).toContain('INSTITUTION_CLOSING');

    // A worker stops after two contracts; then two runs at once finish the rest, each contract once.
    const closures = t.app.get(ClosureRefundsService);
    expect(await closures.processRefunds(opened.body.id, 2)).toEqual({ processed: 2, remaining: 4 });
    const progress = async (key = s.r1) => (await t.request('GET', `/closures/${opened.body.id}`, { key })).body;
    expect((await progress()).progress).toMatchObject({ processed: 2, stillOpen: 4 });
    const job = t.app.get(ClosureRefundsJob);
    const [a, b] = await Promise.all([job.handle({ closureId: opened.body.id }), job.handle({ closureId: opened.body.id })]);
    expect(a.processed + b.processed).toBe(4);
    expect(await job.handle({ closureId: opened.body.id })).toEqual({ processed: 0, remaining: 0 });

    const done = await progress(s.instKey);
    expect(done).toMatchObject({
      state: 'refunds_done',
      progress: { processed: 6, refunded: 4, owed: 1, nothing: 1, stillOpen: 0, refundedAmount: '2700.00', owedAmount: '400.00' },
    });
    expect((await t.request('GET', `/closures/${opened.body.id}`, { key: other.r1 })).status).toBe(404);
    // Every refund once: one approved refund and one refund movement per refunded contract.
    const refunds = await t.db.query<{ contract_id: string; n: number; approval: string }>(
      `SELECT contract_id, count(*)::int AS n, min(approval) AS approval FROM refunds WHERE institution_id = $1 AND state = 'approved' GROUP BY 1 ORDER BY 1`,
      [s.inst.id],
    );
    expect(refunds.map((r) => r.n)).toEqual([1, 1, 1, 1]);
    expect(refunds.map((r) => r.approval).sort()).toEqual(['closure', 'closure', 'closure', 'closure']);
    expect(await t.db.query(`SELECT 1 FROM settlement_instructions WHERE institution_id = $1 AND kind = 'refund'`, [s.inst.id])).toHaveLength(4);
    // The payer's own request was approved by the closure, not duplicated; the contested one decided in full.
    expect((await t.request('GET', `/refunds/${contested.id}`)).body).toMatchObject({ state: 'approved', approval: 'closure', decision: 'full', amount: '500.00' });

    const report = (await t.request('GET', `/closures/${opened.body.id}/report`, { key: s.r1 })).body;
    const byRef = Object.fromEntries(report.contracts.map((c: { reference: string }) => [c.reference, c]));
    expect(byRef[started.reference]).toMatchObject({ outcome: 'refunded', amount: '700.00', refundState: 'approved' });
    expect(byRef[early.reference]).toMatchObject({ outcome: 'refunded', amount: '1000.00' });
    expect(byRef[noAccount.reference]).toMatchObject({ outcome: 'owed', amount: '400.00', note: expect.stringMatching(/^REFUND_PAYER_ACCOUNT_UNKNOWN/) });
    expect(byRef[unpaid.reference]).toMatchObject({ outcome: 'nothing', amount: '0.00' });
    const csv = await t.request('GET', `/closures/${opened.body.id}/report?format=csv`, { key: s.r1 });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.split('\n')[0]).toBe('contract_id,reference,outcome,amount,owed,refund_id,refund_state,transfer_id,receiving_institution_id,new_contract_id,note');
    expect(csv.text.trim().split('\n')).toHaveLength(7);

    // A failed release to the closing institution is not sent again while a payer is owed, even after an unfreeze.
    const [release] = await t.db.query<{ id: string; amount: string }>(`SELECT id, amount::text FROM settlement_instructions WHERE contract_id = $1 AND kind = 'release' ORDER BY created_at LIMIT 1`, [started.id]);
    const failure = JSON.stringify({ instructionId: release.id, status: 'failed', amount: release.amount, currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, reasonCode: 'AC04' });
    const failedAt = new Date();
    const failed = await t.request('POST', '/bank/settlement-results', {
      key: s.bankKey,
      rawBody: failure,
      headers: { 'webhook-id': `cl-f-${++seq}`, 'webhook-timestamp': String(Math.floor(failedAt.getTime() / 1000)), 'webhook-signature': new Webhook(s.secret).sign(`cl-f-${seq}`, failedAt, failure) },
    });
    expect(failed.status).toBeLessThan(300);
    expect((await t.request('POST', `/escrow-accounts/${s.escrow.id}/unfreeze`, { key: s.r1, body: { reason: '退费已完成' } })).status).toBeLessThan(300);
    const again = await t.request('POST', `/settlement-instructions/${release.id}/reinstruct`, { key: s.r1, body: { reason: '账户已修正' } });
    expect(again.status).toBe(422);
    expect(again.body.error).toMatchObject({ code: 'CLOSURE_PAYERS_FIRST', details: { owed: '400.00' } });

    // Every contract has ended: no lesson is consumed afterwards.
    const late = await t.request('POST', `/institutions/${s.inst.id}/lesson-sessions`, {
      key: s.instKey,
      body: { sessionKey: `cl-${++seq}`, courseId: s.course.id, startsAt: '2026-12-05T01:00:00Z', endsAt: '2026-12-05T02:00:00Z', teacher: '王', location: '1', attendees: [started.id] },
    });
    expect(late.status).toBe(422);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });
});
