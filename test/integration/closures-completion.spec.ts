import { chinaDate } from '@common/clock';
import { signedBy } from '../support/bank-signing';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Completing a closure (issue 14): refused with the figures while money is left in escrow or the
 * account is not reconciled after the last movement; done once the refunds are executed and the
 * day's statement reconciles, closing the escrow account and the institution. Real workers: the
 * bulk refunds and the reconciliation run as queued jobs.
 */
describe('closure completion', () => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is refused with the figures until the escrow ledger is zero and reconciled, then closes the institution', async () => {
    const s = await school(t, { payerAccounts: true });
    const far = await school(t, { district: '310115' });
    const dates = { startDate: '2026-12-20', endDate: '2027-02-28' };
    const contracts = [await s.contract(5, '500.00', dates), await s.contract(3, '300.00', dates)];
    const closure = (await t.request('POST', `/institutions/${s.inst.id}/closures`, { key: s.r1, body: { kind: 'immediate', reason: '吊销许可' } })).body;
    await eventually(async () => (await t.request('GET', `/closures/${closure.id}`, { key: s.r1 })).body.state === 'refunds_done', 30_000);
    const complete = (key = s.r1) => t.request('POST', `/closures/${closure.id}/complete`, { key });
    expect((await complete(far.r1)).status).toBe(404);
    expect((await complete(s.instKey)).status).toBe(403);

    // The refunds are instructed, not executed: 800.00 is still payable, and nothing is reconciled.
    const refused = await complete();
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'CLOSURE_NOT_COMPLETE', details: { figures: { refund_payable: '800.00', bank_cash: '800.00', held: '0.00', lastReconciledDay: null } } });
    expect(refused.body.error.details.problems).toEqual(expect.arrayContaining(['refund_payable is 800.00 CNY, not zero', 'the escrow account’s latest day is not reconciled']));

    // The bank executes both refunds.
    const movements = await t.db.query<{ id: string; amount: string; end_to_end_ref: string }>(
      `SELECT id, amount::text, end_to_end_ref FROM settlement_instructions WHERE institution_id = $1 AND kind = 'refund' ORDER BY amount DESC`,
      [s.inst.id],
    );
    expect(movements.map((x) => x.amount)).toEqual(['500.00', '300.00']);
    for (const mv of movements) {
      const raw = JSON.stringify({ instructionId: mv.id, status: 'executed', amount: mv.amount, currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: `BK-${mv.end_to_end_ref}` });
      expect((await t.request('POST', '/bank/settlement-results', { key: s.bankKey, rawBody: raw, headers: signedBy(s.secret, raw, `cc-${++seq}`) })).status).toBe(201);
    }
    const zero = await complete();
    expect(zero.status).toBe(422);
    expect(zero.body.error.details.figures).toMatchObject({ refund_payable: '0.00', bank_cash: '0.00', movementsWaiting: 0, lastReconciledDay: null });
    expect(zero.body.error.details.problems).toEqual(['the escrow account’s latest day is not reconciled']);

    // The day's statement: both payments in, both refunds out, closing at zero.
    const today = chinaDate(new Date());
    const before = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const credits = await t.db.query<{ bank_transaction_id: string; amount: string }>(`SELECT bank_transaction_id, amount::text FROM bank_credits WHERE escrow_account_id = $1`, [s.escrow.id]);
    const ref = `CLOSE-${s.inst.uscc}`;
    const acct = s.escrow.accountNumber;
    const csv = [
      'record_type,statement_id,account,currency,date,amount,direction,value_date,bank_ref,end_to_end_id,details',
      `OPBD,${ref},${acct},CNY,${before},0.00,CRDT,,,,`,
      ...credits.map((c) => `NTRY,${ref},${acct},CNY,${today},${c.amount},CRDT,${today},${c.bank_transaction_id},,credit`),
      ...movements.map((mv) => `NTRY,${ref},${acct},CNY,${today},${mv.amount},DBIT,${today},BK-${mv.end_to_end_ref},${mv.end_to_end_ref},refund`),
      `CLBD,${ref},${acct},CNY,${today},0.00,CRDT,,,,`,
    ].join('\n');
    const imported = await t.request('POST', '/bank/statements', { key: s.bankKey, rawBody: csv, headers: { 'content-type': 'text/csv', ...signedBy(s.secret, csv, `cc-${++seq}`) } });
    expect(imported.status).toBe(201);
    const statementId = imported.body.statements[0].id as string;
    await eventually(async () => (await t.request('GET', `/reconciliation/runs/${statementId}`, { key: s.r1 })).status === 200, 30_000);

    const done = await complete();
    expect([done.status, done.status === 200 ? '' : done.text]).toEqual([200, '']);
    expect(done.body).toMatchObject({ state: 'completed', completedAt: expect.any(String) });
    expect((await complete()).body.state).toBe('completed');
    expect((await t.request('GET', `/institutions/${s.inst.id}`, { key: s.r1 })).body.status).toBe('closed');
    expect((await t.request('GET', `/escrow-accounts/${s.escrow.id}`, { key: s.r1 })).body.state).toBe('closed');
    const report = (await t.request('GET', `/closures/${closure.id}/report`, { key: s.r1 })).body;
    expect(report.contracts.map((c: { outcome: string; refundState: string }) => [c.outcome, c.refundState])).toEqual([
      ['refunded', 'paid'],
      ['refunded', 'paid'],
    ]);
    expect(contracts).toHaveLength(2);
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });
});
