import { getDataSourceToken } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { Clock } from '@common/clock';
import { Money } from '@common/money/money';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';
import { InstructCommand, MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { bankReceiver, Received } from '../support/bank-receiver';
import { school } from '../support/contract-fixtures';
import { ledgerViolations } from '../support/ledger-fixtures';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * The refund kind as a money movement: defined only by its kind file, it goes through the same
 * instruct → deliver → callback path as a release (no branch on the kind anywhere on the way).
 */
describe('refund as a money movement', () => {
  let t: TestApp;
  let bank: Awaited<ReturnType<typeof bankReceiver>>;
  let delivered: Received[];
  let secret = '';
  beforeAll(async () => {
    t = await startTestApp({ env: { SETTLEMENT_RETRY_DELAYS_MS: '0,100', SETTLEMENT_RETRY_JITTER: '0', OUTBOX_POLL_MS: '50' } });
    bank = await bankReceiver();
    delivered = bank.received;
  });
  afterAll(async () => {
    await bank.close();
    await t.close();
  });

  it('instructs (held → refund payable), delivers with its own event and the payer as payee, and the bank executes or fails it', async () => {
    secret = (await t.request('POST', '/admin/banks', { body: { code: 'ICBC-SH', name: 'ICBC', webhookUrl: bank.url } })).body.secret;
    bank.setSecret(secret);
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    const s = await school(t);
    const c = await s.contract(4, '400.00');
    const ds = t.app.get<DataSource>(getDataSourceToken());
    const movements = t.app.get(MoneyMovementsService);
    const ledger = t.app.get(LedgerService);
    const owner: LedgerOwner = { escrowAccountId: s.escrow.id, institutionId: s.inst.id, contractId: c.id, currency: 'CNY' };
    const balances = async () => ({
      held: (await ledger.balanceOf('contract_held', owner)).toString(),
      payable: (await ledger.balanceOf('refund_payable', owner)).toString(),
      cash: (await ledger.balanceOf('bank_cash', owner)).toString(),
    });
    const payee = { bank: 'BOC-SH', accountNumber: '6217000012345678', accountName: '家长' };
    const refund = (amount: string, sourceRef: string, extra: Partial<InstructCommand> = {}) =>
      ds.transaction((m) => movements.instruct(m, { kind: 'refund', escrowAccountId: s.escrow.id, institutionId: s.inst.id, contractId: c.id, amount: Money.parse(amount), payee, sourceRef, ...extra }));

    expect(await balances()).toEqual({ held: '400.00', payable: '0.00', cash: '400.00' });
    const first = await refund('150.00', 'test-refund-1');
    expect(first.created).toBe(true);
    expect(first.movement).toMatchObject({ kind: 'refund', state: 'pending', amount: '150.00', contract_id: c.id, payee_account_number: payee.accountNumber, payee_account_name: '家长' });
    expect(first.movement.end_to_end_ref).toMatch(/^[0-9A-Z]{16}$/);
    expect(await balances()).toEqual({ held: '250.00', payable: '150.00', cash: '400.00' });
    expect((await ledger.contractFunds(owner)).refunded.toString()).toBe('150.00');

    // Idempotent on its source: the same refund again is the same movement, and moves nothing.
    const again = await refund('150.00', 'test-refund-1');
    expect(again).toMatchObject({ created: false, movement: { id: first.movement.id } });
    expect(await balances()).toEqual({ held: '250.00', payable: '150.00', cash: '400.00' });
    // The same source with another amount is a conflict, not a second refund.
    await expect(refund('149.99', 'test-refund-1')).rejects.toMatchObject({ code: expect.stringMatching(/CONFLICT/) });
    // The kind pays the payer's original account: without one it cannot be instructed.
    await expect(refund('10.00', 'test-refund-no-payee', { payee: null })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // More than is held: refused by the ledger, nothing written.
    await expect(refund('300.00', 'test-refund-too-much')).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(await t.db.query(`SELECT 1 FROM settlement_instructions WHERE source_ref LIKE 'test-refund-%'`)).toHaveLength(1);

    // Delivered by the same delivery as releases, with the refund's event type and payee.
    const seen = await eventually(async () => delivered.find((d) => d.id === first.movement.id));
    expect(seen.verified).toBe(true);
    expect(seen.body).toMatchObject({
      type: 'escrow.refund.instructed',
      kind: 'refund',
      direction: 'out',
      instructionId: first.movement.id,
      endToEndRef: first.movement.end_to_end_ref,
      amount: '150.00',
      currency: 'CNY',
      contractId: c.id,
      sequence: 1,
      from: { bankCode: 'ICBC-SH', accountNumber: s.escrow.accountNumber },
      to: { bankCode: 'BOC-SH', accountNumber: payee.accountNumber, accountName: '家长' },
    });
    await eventually(async () => (await t.request('GET', `/admin/settlement-instructions/${first.movement.id}`)).body.state === 'acknowledged');

    const bankKey = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
    let n = 0;
    const report = (body: Record<string, unknown>) => {
      const payload = JSON.stringify({ currency: 'CNY', fromAccountNumber: s.escrow.accountNumber, ...body });
      const id = `refund-res-${++n}`;
      const at = new Date();
      return t.request('POST', '/bank/settlement-results', {
        key: bankKey,
        rawBody: payload,
        headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, payload) },
      });
    };

    // Executed: the money leaves escrow (refund payable ↓, bank cash ↓).
    const executed = await report({ instructionId: first.movement.id, status: 'executed', amount: '150.00', bankTransactionId: 'RF1' });
    expect(executed.status).toBe(201);
    expect(executed.body).toMatchObject({ instructionId: first.movement.id, state: 'executed' });
    expect(await balances()).toEqual({ held: '250.00', payable: '0.00', cash: '250.00' });
    const [settled] = await t.db.query<{ type: string }>(`SELECT type FROM ledger_transactions WHERE external_ref = $1`, [`settlement.${first.movement.id}`]);
    expect(settled.type).toBe('settlement');

    // Failed: nothing left escrow, the money stays payable to the payer, an exception is raised.
    const second = await refund('50.00', 'test-refund-2');
    expect(await balances()).toEqual({ held: '200.00', payable: '50.00', cash: '250.00' });
    await eventually(async () => delivered.find((d) => d.id === second.movement.id));
    const failed = await report({ instructionId: second.movement.id, status: 'failed', amount: '50.00', reasonCode: 'AC01' });
    expect(failed.body).toMatchObject({ instructionId: second.movement.id, state: 'failed', reasonCode: 'AC01' });
    expect(await balances()).toEqual({ held: '200.00', payable: '50.00', cash: '250.00' });
    const exceptions = await t.db.query<{ details: { kind: string; instructionId: string } }>(`SELECT details FROM escrow_exceptions WHERE type = 'SETTLEMENT_FAILED'`);
    expect(exceptions.map((e) => e.details)).toEqual([expect.objectContaining({ kind: 'refund', instructionId: second.movement.id })]);
    // A failed movement is final: a late "executed" is refused and posts nothing.
    expect((await report({ instructionId: second.movement.id, status: 'executed', amount: '50.00', bankTransactionId: 'RF2' })).status).toBe(409);
    expect(await balances()).toEqual({ held: '200.00', payable: '50.00', cash: '250.00' });

    // paid in = released + refunded + held, and the ledger as a whole is sound.
    const funds = await ledger.contractFunds(owner);
    expect({ paidIn: funds.paidIn.toString(), refunded: funds.refunded.toString(), held: funds.held.toString() }).toEqual({ paidIn: '400.00', refunded: '200.00', held: '200.00' });
    expect(await ledgerViolations(ds)).toEqual([]);
    // The audit reads the same from balances, without knowing the kind: refunded counts the executed
    // refund (cumulative memo pair) and the one still payable; paid in is unchanged by refunding.
    const audit = (await t.request('GET', `/audit/institutions/${s.inst.id}`)).body;
    const row = audit.institutions?.[0] ?? audit;
    expect({ paidIn: row.paidIn, refunded: row.refunded, bankCash: row.bankCash }).toEqual({ paidIn: '400.00', refunded: '200.00', bankCash: '250.00' });
    const listed = (await t.request('GET', '/admin/settlement-instructions')).body as { id: string; kind: string }[];
    expect(listed.filter((l) => l.kind === 'refund').map((l) => l.id).sort()).toEqual([first.movement.id, second.movement.id].sort());
  });

  it('redelivering an unknown movement is 404', async () => {
    const res = await t.request('POST', '/admin/settlement-instructions/00000000-0000-4000-8000-00000000abcd/redeliver');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('SETTLEMENT_INSTRUCTION_NOT_FOUND');
    expect((await t.request('GET', '/admin/settlement-instructions/00000000-0000-4000-8000-00000000abcd')).status).toBe(404);
  });
});
