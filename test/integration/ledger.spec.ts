import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerService, transfer } from '../../src/modules/ledger/ledger.service';
import { cny, EscrowBook, fund, ledgerViolations, openContract, openEscrowBook, refund, release } from '../support/ledger-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

describe('escrow ledger', () => {
  let t: TestApp;
  let ledger: LedgerService;
  let ds: DataSource;
  let book: EscrowBook;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '30' } });
    ledger = t.app.get(LedgerService);
    ds = t.app.get<DataSource>(getDataSourceToken());
    book = await openEscrowBook(ledger, ds);
  });
  afterAll(async () => {
    try {
      expect(await ledgerViolations(ds)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  const held = async (account: string) => (await ledger.balance(await ledger.account(account))).toString();

  it('funds, releases and refunds with exact balances', async () => {
    const c = await openContract(ledger, ds, book);
    await fund(ledger, book, c.held, '11111.11');
    await release(ledger, book, c.held, '231.48');
    await refund(ledger, book, c.held, '0.01');
    expect(await held(c.held)).toBe('10879.62');
    const b = await ledger.contractBalance(await ledger.account(c.held));
    expect([b.paidIn, b.released, b.refunded, b.held].map(String)).toEqual(['11111.11', '231.48', '0.01', '10879.62']);
  });

  it('refuses to overdraw with 422 INSUFFICIENT_FUNDS and changes nothing', async () => {
    const c = await openContract(ledger, ds, book);
    await fund(ledger, book, c.held, '100.00');
    const before = await ds.query(`SELECT count(*)::int AS n FROM ledger_postings`);
    await expect(release(ledger, book, c.held, '100.01')).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 422 });
    expect(await held(c.held)).toBe('100.00');
    expect(await ds.query(`SELECT count(*)::int AS n FROM ledger_postings`)).toEqual(before);
  });

  it('refuses unbalanced transactions, in code and in the database', async () => {
    const c = await openContract(ledger, ds, book);
    await expect(
      ledger.post({ type: 'funding', postings: [{ accountId: book.bankCash, amount: cny('10.00') }, { accountId: c.held, amount: cny('-9.99') }] }),
    ).rejects.toMatchObject({ code: 'UNBALANCED_TRANSACTION' });
    // Straight SQL, around the service: the database itself refuses.
    const raw = (sql: (txn: string) => string) =>
      ds.transaction(async (m) => {
        const [{ id }] = await m.query(`INSERT INTO ledger_transactions (type, request_hash) VALUES ('adjustment', 'x') RETURNING id`);
        await m.query(sql(id));
      });
    await expect(raw((id) => `INSERT INTO ledger_postings (transaction_id, account_id, amount, currency) VALUES (${id}, ${book.bankCash}, 5, 'CNY'), (${id}, ${c.held}, -4, 'CNY')`)).rejects.toThrow(/does not balance/);
    await expect(raw((id) => `INSERT INTO ledger_postings (transaction_id, account_id, amount, currency) VALUES (${id}, ${book.bankCash}, 5, 'CNY')`)).rejects.toThrow(/does not balance|fewer than two/);
    await expect(raw(() => `SELECT 1`)).rejects.toThrow(/fewer than two postings/);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE on postings and transactions', async () => {
    const c = await openContract(ledger, ds, book);
    const { id } = await fund(ledger, book, c.held, '5.00');
    for (const sql of [
      `UPDATE ledger_postings SET amount = amount * 2 WHERE transaction_id = ${id}`,
      `DELETE FROM ledger_postings WHERE transaction_id = ${id}`,
      `UPDATE ledger_transactions SET memo = 'x' WHERE id = ${id}`,
      `DELETE FROM ledger_transactions WHERE id = ${id}`,
      `TRUNCATE ledger_postings`,
    ]) {
      await expect(ds.query(sql)).rejects.toThrow(/append-only/);
    }
    expect(await held(c.held)).toBe('5.00');
  });

  it('is idempotent on the external reference; a different transaction with it is refused', async () => {
    const c = await openContract(ledger, ds, book);
    const first = await fund(ledger, book, c.held, '50.00', 'bank-txn-0001');
    const again = await fund(ledger, book, c.held, '50.00', 'bank-txn-0001');
    expect(again).toEqual({ id: first.id, replayed: true });
    await expect(fund(ledger, book, c.held, '60.00', 'bank-txn-0001')).rejects.toMatchObject({ code: 'EXTERNAL_REF_CONFLICT' });
    const twenty = await Promise.all(Array.from({ length: 20 }, () => fund(ledger, book, c.held, '7.00', 'bank-txn-0002')));
    expect(new Set(twenty.map((r) => r.id)).size).toBe(1);
    expect(await held(c.held)).toBe('57.00');
  });

  it('50 parallel debits racing on one contract never overdraw it (batched and in separate transactions)', async () => {
    for (const mode of ['batched', 'own-transaction'] as const) {
      const c = await openContract(ledger, ds, book);
      await fund(ledger, book, c.held, '300.00');
      const attempts = Array.from({ length: 50 }, () =>
        mode === 'batched'
          ? release(ledger, book, c.held, '10.00')
          : ds.transaction((m) => ledger.post({ type: 'release', postings: transfer(c.held, book.unsettled, cny('10.00')) }, m)),
      );
      const settled = await Promise.allSettled(attempts);
      const ok = settled.filter((s) => s.status === 'fulfilled').length;
      const refused = settled.filter((s) => s.status === 'rejected');
      expect([mode, ok]).toEqual([mode, 30]);
      for (const r of refused) expect((r as PromiseRejectedResult).reason.code).toBe('INSUFFICIENT_FUNDS');
      expect(await held(c.held)).toBe('0.00');
    }
  });

  it('opposite transfers in parallel do not deadlock', async () => {
    const a = await openContract(ledger, ds, book);
    const b = await openContract(ledger, ds, book);
    await fund(ledger, book, a.held, '1000.00');
    await fund(ledger, book, b.held, '1000.00');
    const moves = Array.from({ length: 60 }, (_, i) =>
      ds.transaction((m) =>
        ledger.post({ type: 'transfer', postings: i % 2 ? transfer(a.held, b.held, cny('1.00')) : transfer(b.held, a.held, cny('1.00')) }, m),
      ),
    );
    await Promise.all(moves);
    expect(await held(a.held)).toBe('1000.00');
    expect(await held(b.held)).toBe('1000.00');
  });

  it('a hot institution account stays exact under many concurrent credits, and its debits still check the total', async () => {
    const hotBook = await openEscrowBook(ledger, ds);
    const contracts = await Promise.all(Array.from({ length: 40 }, () => openContract(ledger, ds, hotBook)));
    await Promise.all(contracts.map((c) => fund(ledger, hotBook, c.held, '100.00')));
    await Promise.all(contracts.flatMap((c) => Array.from({ length: 10 }, () => release(ledger, hotBook, c.held, '3.33'))));
    const unsettled = await ledger.account(hotBook.unsettled);
    expect((await ledger.balance(unsettled)).toString()).toBe('1332.00');
    const stripes = await ds.query(`SELECT count(*)::int AS n FROM ledger_balances WHERE account_id = $1 AND balance <> 0`, [hotBook.unsettled]);
    expect(stripes[0].n).toBeGreaterThan(1);
    // Settle more than is there: refused, even though each stripe alone is checked nowhere.
    await expect(ledger.post({ type: 'settlement', postings: transfer(hotBook.unsettled, hotBook.settled, cny('1332.01')) })).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    await ledger.post({ type: 'settlement', postings: transfer(hotBook.unsettled, hotBook.settled, cny('1332.00')) });
    expect((await ledger.balance(unsettled)).toString()).toBe('0.00');
  });

  it('corrects by reversal (once), and reads balances as of a past moment', async () => {
    const c = await openContract(ledger, ds, book);
    const funding = await fund(ledger, book, c.held, '80.00');
    await new Promise((r) => setTimeout(r, 20));
    const between = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const reversal = await ledger.reverse(funding.id, 'credited to the wrong contract', null);
    expect(await held(c.held)).toBe('0.00');
    await expect(ledger.reverse(funding.id, 'again', null)).rejects.toMatchObject({ code: 'ALREADY_REVERSED' });
    const account = await ledger.account(c.held);
    expect((await ledger.balance(account, between)).toString()).toBe('80.00');
    const b = await ledger.contractBalance(account);
    expect(b.paidIn.toString()).toBe('0.00');
    const t2 = await ledger.transaction(reversal.id);
    expect(t2.reverses_id).toBe(funding.id);
  });

  describe('HTTP reads are scoped', () => {
    it('a regulator sees contract balances in its districts only; others get 404', async () => {
      const yangpu = await t.createKey({ role: 'regulator', districts: ['310117'] });
      const pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
      const inst = (
        await t.request('POST', '/institutions', {
          key: yangpu,
          body: { name: '某某培训', uscc: '91440300708461136T', districtCode: '310117', category: 'subject', profitType: 'non_profit', address: '某路 1 号', legalRepresentative: '甲', contactName: '乙', contactPhone: '13800000000' },
        })
      ).body;
      const instBook = await openEscrowBook(ledger, ds, inst.id);
      const c = await openContract(ledger, ds, instBook);
      await fund(ledger, instBook, c.held, '600.00');
      await release(ledger, instBook, c.held, '25.00');
      const mine = await t.request('GET', `/ledger/contracts/${c.contractId}/balance`, { key: yangpu });
      expect(mine.body).toMatchObject({ paidIn: '600.00', released: '25.00', refunded: '0.00', held: '575.00', consistent: true });
      expect((await t.request('GET', `/ledger/contracts/${c.contractId}/balance`, { key: pudong })).status).toBe(404);
      const inst2 = await t.request('GET', `/ledger/institutions/${inst.id}/balance`, { key: yangpu });
      expect(inst2.body).toMatchObject({ held: '575.00', unsettled: '25.00', settled: '0.00' });
      const page1 = await t.request('GET', `/ledger/accounts/${c.held}/postings?limit=1`, { key: yangpu });
      expect(page1.body.items).toHaveLength(1);
      expect(page1.body.items[0].transactionType).toBe('release');
      const page2 = await t.request('GET', `/ledger/accounts/${c.held}/postings?limit=1&cursor=${page1.body.nextCursor}`, { key: yangpu });
      expect(page2.body.items[0].transactionType).toBe('funding');
      expect((await t.request('GET', `/ledger/accounts/${c.held}`, { key: pudong })).status).toBe(404);
    });
  });
});
