import { getDataSourceToken } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { chinaDate, Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { bankReceiver, Received } from '../support/bank-receiver';
import { school } from '../support/contract-fixtures';
import { invariantViolations } from '../support/invariants';
import { ledgerViolations } from '../support/ledger-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Suspense resolution (issue 14): money that matched no contract, or overpaid one, is resolved
 * once with a reason by the district's regulator or an admin: applied to a contract, or returned
 * to the payer's original account as a `return` movement the bank executes.
 */
describe('suspense resolution', () => {
  let t: TestApp;
  let bank: Awaited<ReturnType<typeof bankReceiver>>;
  let delivered: Received[];
  let secret = '';
  beforeAll(async () => {
    t = await startTestApp({ env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
    bank = await bankReceiver();
    delivered = bank.received;
    secret = (await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: bank.url } })).body.secret;
    bank.setSecret(secret);
  });
  afterAll(async () => {
    await bank.close();
    await t.close();
  });

  it('applies an unmatched credit to a contract, returns an overpayment to the payer, once each; aged items raise an event', async () => {
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t, { payerAccounts: true });
    const other = await school(t, { district: '310115' });
    const overpaid = await s.contract(10, '1000.00', undefined, false);
    const waiting = await s.contract(5, '500.00', undefined, false);
    await s.fund(overpaid.reference, '1200.00'); // 200.00 over
    await s.fund('HT-NO-SUCH-CONTRACT', '300.00'); // matches nothing
    await s.fund(waiting.reference, '200.00');
    await s.fund('HT-ALSO-UNKNOWN', '50.00'); // left unresolved: it ages

    const list = async (key = s.r1) => (await t.request('GET', `/institutions/${s.inst.id}/suspense`, { key })).body as { creditId: string; amount: string; outcome: string; resolution: unknown }[];
    const items = await list();
    expect(items.map((i) => [i.amount, i.outcome, i.resolution])).toEqual([
      ['200.00', 'applied_with_excess', null],
      ['300.00', 'suspense', null],
      ['50.00', 'suspense', null],
    ]);
    expect((await list(s.instKey)).length).toBe(3); // the institution sees its own
    expect((await t.request('GET', `/institutions/${s.inst.id}/suspense`, { key: other.r1 })).status).toBe(404);
    const [excess, unmatched] = items;
    const audit = async () => (await t.request('GET', `/audit/institutions/${s.inst.id}`, { key: s.r1 })).body;
    const suspenseOf = async () => {
      const a = await audit();
      return (a.institutions?.[0] ?? a).suspense as string;
    };
    expect(await suspenseOf()).toBe('550.00');

    // Who may resolve: the district's regulators and admins.
    const resolve = (creditId: string, body: unknown, key: string | undefined = s.r1) => t.request('POST', `/suspense/${creditId}/resolve`, { key, body });
    expect((await resolve(unmatched.creditId, { action: 'apply', contractId: waiting.id, reason: '家长转账未填合同号' }, s.instKey)).status).toBe(403);
    expect((await resolve(unmatched.creditId, { action: 'apply', contractId: waiting.id, reason: '家长转账未填合同号' }, other.r1)).status).toBe(404);
    expect((await resolve(unmatched.creditId, { action: 'apply', reason: '缺合同' })).status).toBe(400);
    // More than the contract still owes (300.00 > 300.00 is fine; the overpaid contract owes nothing).
    const tooMuch = await resolve(unmatched.creditId, { action: 'apply', contractId: overpaid.id, reason: '挂错了' });
    expect(tooMuch.body.error).toMatchObject({ code: 'SUSPENSE_EXCEEDS_DUE' });
    const otherContract = await other.contract(5, '500.00', undefined, false);
    expect((await resolve(unmatched.creditId, { action: 'apply', contractId: otherContract.id, reason: '挂错了' })).body.error.code).toBe('CONTRACT_NOT_FOUND');

    // Apply: a credit of the contract (suspense → held), which activates it when paid in full.
    const applied = await resolve(unmatched.creditId, { action: 'apply', contractId: waiting.id, reason: '家长转账未填合同号' });
    expect(applied.status).toBe(200);
    expect(applied.body.resolution).toMatchObject({ action: 'apply', contractId: waiting.id, reason: '家长转账未填合同号' });
    const contract = (await t.request('GET', `/contracts/${waiting.id}`)).body;
    expect(contract).toMatchObject({ amountPaid: '500.00', state: 'active' });
    expect((await t.request('GET', `/ledger/contracts/${waiting.id}/balance`, { key: s.r1 })).body).toMatchObject({ paidIn: '500.00', held: '500.00', consistent: true });
    // Once: the same resolution again answers it; another one is refused.
    expect((await resolve(unmatched.creditId, { action: 'apply', contractId: waiting.id, reason: '再次' })).body.resolution.reason).toBe('家长转账未填合同号');
    expect((await resolve(unmatched.creditId, { action: 'return', reason: '退回' })).body.error.code).toBe('SUSPENSE_ALREADY_RESOLVED');

    // Return: a `return` movement to the account the credit came from, executed by the bank.
    const returned = await resolve(excess.creditId, { action: 'return', reason: '多付退回' }, undefined);
    expect(returned.body.resolution).toMatchObject({ action: 'return', movementId: expect.any(String) });
    const movementId = returned.body.resolution.movementId as string;
    const seen = await eventually(async () => delivered.find((d) => d.id === movementId));
    const [credit] = await t.db.query<{ n: string }>(`SELECT payer_account_number AS n FROM bank_credits WHERE id = $1`, [excess.creditId]);
    expect(seen.body).toMatchObject({ type: 'escrow.return.instructed', kind: 'return', amount: '200.00', contractId: null, to: { bankCode: 'CMB-SH', accountNumber: credit.n } });
    const payload = JSON.stringify({ instructionId: movementId, status: 'executed', amount: '200.00', currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, bankTransactionId: 'RET-1' });
    const at = new Date();
    const res = await t.request('POST', '/bank/settlement-results', {
      key: s.bankKey,
      rawBody: payload,
      headers: { 'webhook-id': 'ret-1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign('ret-1', at, payload) },
    });
    expect(res.status).toBe(201);
    // The audit shows what is left in suspense per institution; the returned money counts as refunded.
    expect(await suspenseOf()).toBe('50.00');
    expect(await t.db.query(`SELECT 1 FROM supervision_events WHERE type = 'SUSPENSE_RESOLVED' AND institution_id = $1`, [s.inst.id])).toHaveLength(2);
    // The resolutions are evidence: the database refuses to change them.
    await expect(t.db.query(`UPDATE suspense_resolutions SET reason = 'x'`)).rejects.toThrow(/append-only/);

    // Aging: unresolved items older than the policy's days (default 15), once each.
    const job = (today: string) => t.request('POST', '/admin/suspense/aging-run', { body: { today } });
    // Credits are stamped by the database clock (received_at), not the app's travelled clock.
    const received = chinaDate(new Date());
    expect((await job(addDaysTo(received, 15))).body).toEqual({ aged: 0 });
    const [a, b] = await Promise.all([job(addDaysTo(received, 16)), job(addDaysTo(received, 16))]);
    expect(a.body.aged + b.body.aged).toBeGreaterThanOrEqual(1);
    const aged = await t.db.query<{ details: { creditId: string } }>(`SELECT details FROM supervision_events WHERE type = 'SUSPENSE_AGED' AND institution_id = $1`, [s.inst.id]);
    expect(aged.map((e) => e.details.creditId)).toEqual([items[2].creditId]);
    expect(await ledgerViolations(t.app.get<DataSource>(getDataSourceToken()))).toEqual([]);
  });

  it('the money invariants hold after every suspense scenario (paid in = released + refunded + held, one instruction per release, ...)', async () => {
    // Deliveries may still be running: the checks read one consistent snapshot.
    expect(await invariantViolations(t.db.url)).toEqual([]);
  });
});
