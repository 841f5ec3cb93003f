import { getDataSourceToken } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Money } from '@common/money/money';
import { ACCOUNT_KINDS, AccountKind, TRANSACTION_TYPES } from '@modules/ledger/chart-of-accounts';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';
import { accountIdOf, cny, EscrowBook, fund, ledgerViolations, openContract, openEscrowBook, refund, release, TestContract } from '../support/ledger-fixtures';
import { school } from '../support/contract-fixtures';
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
    book = openEscrowBook();
  });
  afterAll(async () => {
    try {
      expect(await ledgerViolations(ds)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  const bal = async (kind: AccountKind, owner: LedgerOwner) => (await ledger.balanceOf(kind, owner)).toString();
  const held = (c: TestContract) => bal('contract_held', c.owner);
  const postingCount = async () => (await ds.query(`SELECT count(*)::int AS n FROM ledger_postings`))[0].n as number;
  /** The accounts a transaction touched: kind → signed amount (debit positive). */
  const legsOf = async (txnId: string) => {
    const rows: { type: string; amount: string; txn_type: string }[] = await ds.query(
      `SELECT a.type, p.amount::text, t.type AS txn_type FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
         JOIN ledger_transactions t ON t.id = p.transaction_id WHERE p.transaction_id = $1 ORDER BY a.type`,
      [txnId],
    );
    return { type: rows[0]?.txn_type, postings: Object.fromEntries(rows.map((r) => [r.type, r.amount])) };
  };
  const inTxn = <T>(fn: (m: EntityManager) => Promise<T>) => ds.transaction(fn);

  describe('named operations post to the accounts the chart picks', () => {
    it('fundContract, release, reserveRefund: right accounts, exact balances, contractFunds adds up', async () => {
      const b = openEscrowBook();
      const c = openContract(b);
      const f = await fund(ledger, ds, c, '11111.11');
      expect(await legsOf(f.id)).toEqual({ type: 'funding', postings: { bank_cash: '11111.11', contract_held: '-11111.11' } });
      const r = await release(ledger, ds, c, '231.48');
      expect(await legsOf(r.id)).toEqual({ type: 'release', postings: { contract_held: '231.48', institution_unsettled: '-231.48' } });
      const rf = await refund(ledger, ds, c, '0.01');
      expect(await legsOf(rf.id)).toEqual({ type: 'refund', postings: { contract_held: '0.01', refund_payable: '-0.01' } });
      expect(await held(c)).toBe('10879.62');
      expect(await bal('bank_cash', c.owner)).toBe('11111.11');
      expect(await bal('institution_unsettled', c.owner)).toBe('231.48');
      expect(await bal('refund_payable', c.owner)).toBe('0.01');
      const funds = await ledger.contractFunds(c.owner);
      expect([funds.paidIn, funds.released, funds.refunded, funds.other, funds.held].map(String)).toEqual(['11111.11', '231.48', '0.01', '0.00', '10879.62']);
      // Institution accounts are the institution's (shared by its contracts), escrow accounts the escrow's.
      const other = openContract(b);
      await fund(ledger, ds, other, '10.00');
      await release(ledger, ds, other, '1.00');
      expect(await bal('institution_unsettled', c.owner)).toBe('232.48');
      expect(await bal('bank_cash', c.owner)).toBe('11121.11');
      const [acct] = await ds.query(`SELECT escrow_account_id, institution_id, contract_id FROM ledger_accounts WHERE id = $1`, [await accountIdOf(ds, 'institution_unsettled', c.owner)]);
      expect(acct).toEqual({ escrow_account_id: null, institution_id: b.institutionId, contract_id: null });
    });

    it('holdInSuspense: bank cash → suspense', async () => {
      const c = openContract(openEscrowBook());
      const s = await inTxn((m) => ledger.holdInSuspense(m, c.owner, cny('42.00'), randomUUID(), 'unmatched'));
      expect(await legsOf(s.id)).toEqual({ type: 'funding', postings: { bank_cash: '42.00', suspense: '-42.00' } });
      expect(await bal('suspense', c.owner)).toBe('42.00');
      expect(await held(c)).toBe('0.00');
    });

    it('adjust: signed, bank adjustment ↔ bank cash, with its actor; never below zero cash', async () => {
      const c = openContract(openEscrowBook());
      const up = await inTxn((m) => ledger.adjust(m, c.owner, cny('5.00'), randomUUID(), 'found at the bank', 'regulator-1'));
      expect(await legsOf(up.id)).toEqual({ type: 'adjustment', postings: { bank_adjustment: '-5.00', bank_cash: '5.00' } });
      const down = await inTxn((m) => ledger.adjust(m, c.owner, cny('-2.00'), randomUUID(), 'bank fee', 'regulator-1'));
      expect(await legsOf(down.id)).toEqual({ type: 'adjustment', postings: { bank_adjustment: '2.00', bank_cash: '-2.00' } });
      expect(await bal('bank_cash', c.owner)).toBe('3.00');
      expect(await bal('bank_adjustment', c.owner)).toBe('-3.00');
      expect((await ledger.transaction(up.id)).actor).toBe('regulator-1');
      await expect(inTxn((m) => ledger.adjust(m, c.owner, cny('-3.01'), randomUUID(), 'too much', null))).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
      await expect(inTxn((m) => ledger.adjust(m, c.owner, cny('0.00'), randomUUID(), 'nothing', null))).rejects.toMatchObject({ code: 'INVALID_AMOUNT' });
    });

    it('postLegs nets legs per account: a settlement is one transaction over four accounts', async () => {
      const c = openContract(openEscrowBook());
      await fund(ledger, ds, c, '100.00');
      await release(ledger, ds, c, '60.00');
      const s = await inTxn((m) =>
        ledger.postLegs(m, {
          type: 'settlement',
          owner: c.owner,
          externalRef: randomUUID(),
          legs: [
            { from: 'institution_unsettled', to: 'bank_cash', amount: cny('60.00') },
            { from: 'paid_out', to: 'institution_settled', amount: cny('60.00') },
          ],
        }),
      );
      expect(await legsOf(s.id)).toEqual({ type: 'settlement', postings: { bank_cash: '-60.00', institution_settled: '-60.00', institution_unsettled: '60.00', paid_out: '60.00' } });
      expect([await bal('institution_unsettled', c.owner), await bal('institution_settled', c.owner), await bal('bank_cash', c.owner)]).toEqual(['0.00', '60.00', '40.00']);
      // A chain through one account nets it away: cash → held → unsettled is cash → unsettled.
      const chain = await inTxn((m) =>
        ledger.postLegs(m, {
          type: 'transfer',
          owner: c.owner,
          externalRef: randomUUID(),
          legs: [
            { from: 'contract_held', to: 'refund_payable', amount: cny('1.00') },
            { from: 'refund_payable', to: 'institution_unsettled', amount: cny('1.00') },
          ],
        }),
      );
      expect(await legsOf(chain.id)).toEqual({ type: 'transfer', postings: { contract_held: '1.00', institution_unsettled: '-1.00' } });
    });

    it('balanceOf and contractFunds are zero for accounts that never opened', async () => {
      const c = openContract(openEscrowBook(randomUUID(), randomUUID(), 'JPY'));
      expect((await ledger.balanceOf('contract_held', c.owner)).toString()).toBe('0');
      const f = await ledger.contractFunds(c.owner);
      expect(Object.values(f).map(String)).toEqual(['0', '0', '0', '0', '0']);
      expect(await accountIdOf(ds, 'contract_held', c.owner)).toBeNull();
    });

    it('refuses bad legs: not positive, another currency, cancelling out', async () => {
      const c = openContract(book);
      const post = (legs: { from: AccountKind; to: AccountKind; amount: Money }[]) => inTxn((m) => ledger.postLegs(m, { type: 'transfer', owner: c.owner, externalRef: randomUUID(), legs }));
      await expect(post([{ from: 'bank_cash', to: 'contract_held', amount: cny('-1.00') }])).rejects.toMatchObject({ code: 'INVALID_AMOUNT' });
      await expect(post([{ from: 'bank_cash', to: 'contract_held', amount: cny('0.00') }])).rejects.toMatchObject({ code: 'INVALID_AMOUNT' });
      await expect(post([{ from: 'bank_cash', to: 'contract_held', amount: Money.parse('1', 'JPY') }])).rejects.toMatchObject({ code: 'CURRENCY_MISMATCH' });
      await expect(post([{ from: 'bank_cash', to: 'bank_cash', amount: cny('1.00') }])).rejects.toMatchObject({ code: 'UNBALANCED_TRANSACTION' });
      await expect(
        post([
          { from: 'bank_cash', to: 'contract_held', amount: cny('1.00') },
          { from: 'contract_held', to: 'bank_cash', amount: cny('1.00') },
        ]),
      ).rejects.toMatchObject({ code: 'UNBALANCED_TRANSACTION' });
      await expect(post([])).rejects.toMatchObject({ code: 'UNBALANCED_TRANSACTION' });
      expect(await held(c)).toBe('0.00');
    });

    it('a posting rolls back with its caller, accounts opened on first use included; the next one still works', async () => {
      const c = openContract(openEscrowBook());
      await expect(
        inTxn(async (m) => {
          await ledger.fundContract(m, c.owner, cny('9.00'), randomUUID());
          throw new Error('the use case failed after posting');
        }),
      ).rejects.toThrow('the use case failed');
      expect(await accountIdOf(ds, 'contract_held', c.owner)).toBeNull();
      // The service remembered ids that no longer exist: it must notice and open the accounts again.
      await fund(ledger, ds, c, '9.00');
      expect(await held(c)).toBe('9.00');
    });
  });

  describe('money never goes where it is not', () => {
    it('refuses to overdraw with 422 INSUFFICIENT_FUNDS and changes nothing', async () => {
      const c = openContract(book);
      await fund(ledger, ds, c, '100.00');
      const before = await postingCount();
      await expect(release(ledger, ds, c, '100.01')).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 422 });
      await expect(refund(ledger, ds, c, '100.01')).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 422 });
      expect(await held(c)).toBe('100.00');
      expect(await postingCount()).toBe(before);
    });

    it('the database refuses unbalanced transactions around the service', async () => {
      const c = openContract(book);
      await fund(ledger, ds, c, '1.00');
      const cash = await accountIdOf(ds, 'bank_cash', c.owner);
      const heldId = await accountIdOf(ds, 'contract_held', c.owner);
      const raw = (sql: (txn: string) => string) =>
        ds.transaction(async (m) => {
          const [{ id }] = await m.query(`INSERT INTO ledger_transactions (type, request_hash) VALUES ('adjustment', 'x') RETURNING id`);
          await m.query(sql(id));
        });
      await expect(raw((id) => `INSERT INTO ledger_postings (transaction_id, account_id, amount, currency) VALUES (${id}, ${cash}, 5, 'CNY'), (${id}, ${heldId}, -4, 'CNY')`)).rejects.toThrow(/does not balance/);
      await expect(raw((id) => `INSERT INTO ledger_postings (transaction_id, account_id, amount, currency) VALUES (${id}, ${cash}, 5, 'CNY')`)).rejects.toThrow(/does not balance|fewer than two/);
      await expect(raw(() => `SELECT 1`)).rejects.toThrow(/fewer than two postings/);
    });

    it('the database refuses UPDATE, DELETE and TRUNCATE on postings and transactions', async () => {
      const c = openContract(book);
      const { id } = await fund(ledger, ds, c, '5.00');
      for (const sql of [
        `UPDATE ledger_postings SET amount = amount * 2 WHERE transaction_id = ${id}`,
        `DELETE FROM ledger_postings WHERE transaction_id = ${id}`,
        `UPDATE ledger_transactions SET memo = 'x' WHERE id = ${id}`,
        `DELETE FROM ledger_transactions WHERE id = ${id}`,
        `TRUNCATE ledger_postings`,
      ]) {
        await expect(ds.query(sql)).rejects.toThrow(/append-only/);
      }
      expect(await held(c)).toBe('5.00');
    });

    it('every named operation is idempotent on its external reference; another transaction with it is refused', async () => {
      const c = openContract(openEscrowBook());
      await fund(ledger, ds, c, '1000.00');
      const ops: [string, (m: EntityManager, amount: Money, ref: string) => Promise<{ id: string; replayed: boolean }>][] = [
        ['fundContract', (m, a, ref) => ledger.fundContract(m, c.owner, a, ref)],
        ['holdInSuspense', (m, a, ref) => ledger.holdInSuspense(m, c.owner, a, ref)],
        ['release', (m, a, ref) => ledger.release(m, c.owner, a, ref)],
        ['reserveRefund', (m, a, ref) => ledger.reserveRefund(m, c.owner, a, ref)],
        ['adjust', (m, a, ref) => ledger.adjust(m, c.owner, a, ref, 'difference', 'r1')],
      ];
      for (const [name, op] of ops) {
        const ref = `${name}.${randomUUID()}`;
        const first = await inTxn((m) => op(m, cny('50.00'), ref));
        const before = await postingCount();
        expect([name, await inTxn((m) => op(m, cny('50.00'), ref))]).toEqual([name, { id: first.id, replayed: true }]);
        expect(await postingCount()).toBe(before);
        await expect(inTxn((m) => op(m, cny('60.00'), ref))).rejects.toMatchObject({ code: 'EXTERNAL_REF_CONFLICT' });
        const twenty = await Promise.all(Array.from({ length: 20 }, () => inTxn((m) => op(m, cny('7.00'), `${ref}.b`))));
        expect([name, new Set(twenty.map((r) => r.id)).size, twenty.filter((r) => !r.replayed).length]).toEqual([name, 1, 1]);
      }
      // fund +50 +7, release −50 −7, refund −50 −7: 1000 − 57.
      expect(await held(c)).toBe('943.00');
    });

    it('two parallel releases of the last money: exactly one succeeds', async () => {
      for (let round = 0; round < 10; round++) {
        const c = openContract(book);
        await fund(ledger, ds, c, '10.00');
        // Each caller keeps its transaction open a moment after posting, as a use case does.
        const attempt = () =>
          inTxn(async (m) => {
            const r = await ledger.release(m, c.owner, cny('10.00'), randomUUID());
            await m.query(`SELECT pg_sleep(0.02)`);
            return r;
          });
        const settled = await Promise.allSettled([attempt(), attempt()]);
        expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('INSUFFICIENT_FUNDS');
        expect(await held(c)).toBe('0.00');
      }
    });

    it('50 parallel releases and refunds racing on one contract never overdraw it', async () => {
      const c = openContract(book);
      await fund(ledger, ds, c, '300.00');
      const settled = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => (i % 2 ? release : refund)(ledger, ds, c, '10.00')));
      const refused = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
      expect(settled.length - refused.length).toBe(30);
      for (const r of refused) expect(r.reason.code).toBe('INSUFFICIENT_FUNDS');
      expect(await held(c)).toBe('0.00');
    });

    it('opposite transfers in parallel do not deadlock', async () => {
      const c = openContract(openEscrowBook());
      await fund(ledger, ds, c, '1000.00');
      await refund(ledger, ds, c, '500.00');
      const moves = Array.from({ length: 60 }, (_, i) =>
        inTxn((m) =>
          ledger.postLegs(m, {
            type: 'transfer',
            owner: c.owner,
            externalRef: randomUUID(),
            legs: [i % 2 ? { from: 'contract_held', to: 'refund_payable', amount: cny('1.00') } : { from: 'refund_payable', to: 'contract_held', amount: cny('1.00') }],
          }),
        ),
      );
      await Promise.all(moves);
      expect(await held(c)).toBe('500.00');
      expect(await bal('refund_payable', c.owner)).toBe('500.00');
    });

    it('a hot institution account stays exact under many concurrent credits, and its debits still check the total', async () => {
      const hot = openEscrowBook();
      const contracts = Array.from({ length: 40 }, () => openContract(hot));
      await Promise.all(contracts.map((c) => fund(ledger, ds, c, '100.00')));
      await Promise.all(contracts.flatMap((c) => Array.from({ length: 10 }, () => release(ledger, ds, c, '3.33'))));
      const owner = contracts[0].owner;
      expect(await bal('institution_unsettled', owner)).toBe('1332.00');
      const stripes = await ds.query(`SELECT count(*)::int AS n FROM ledger_balances WHERE account_id = $1 AND balance <> 0`, [await accountIdOf(ds, 'institution_unsettled', owner)]);
      expect(stripes[0].n).toBeGreaterThan(1);
      const settle = (amount: string) =>
        inTxn((m) => ledger.postLegs(m, { type: 'settlement', owner, externalRef: randomUUID(), legs: [{ from: 'institution_unsettled', to: 'institution_settled', amount: cny(amount) }] }));
      // Settle more than is there: refused, even though each stripe alone is checked nowhere.
      await expect(settle('1332.01')).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
      await settle('1332.00');
      expect(await bal('institution_unsettled', owner)).toBe('0.00');
    });

    it('corrects by reversal (once), and reads balances as of a past moment', async () => {
      const c = openContract(book);
      const funding = await fund(ledger, ds, c, '80.00');
      await new Promise((r) => setTimeout(r, 20));
      const between = new Date();
      await new Promise((r) => setTimeout(r, 20));
      const reversal = await ledger.reverse(funding.id, 'credited to the wrong contract', null);
      expect(await held(c)).toBe('0.00');
      await expect(ledger.reverse(funding.id, 'again', null)).rejects.toMatchObject({ code: 'ALREADY_REVERSED' });
      expect((await ledger.balanceOf('contract_held', c.owner, undefined, between)).toString()).toBe('80.00');
      expect((await ledger.contractFunds(c.owner)).paidIn.toString()).toBe('0.00');
      expect((await ledger.transaction(reversal.id)).reverses_id).toBe(funding.id);
    });

    it("the database's CHECK lists match the chart (every kind and transaction type can be stored)", async () => {
      const defs: { conname: string; def: string }[] = await ds.query(
        `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname IN ('ledger_accounts_type_check', 'ledger_transactions_type_check')`,
      );
      const listed = (name: string) => [...defs.find((d) => d.conname === name)!.def.matchAll(/'([a-z_]+)'/g)].map((x) => x[1]).sort();
      expect(listed('ledger_accounts_type_check')).toEqual([...ACCOUNT_KINDS].sort());
      expect(listed('ledger_transactions_type_check')).toEqual([...TRANSACTION_TYPES].sort());
    });
  });

  describe('HTTP reads are scoped', () => {
    const ownerOf = (s: Awaited<ReturnType<typeof school>>, contractId: string): TestContract => ({
      contractId,
      owner: { escrowAccountId: s.escrow.id, institutionId: s.inst.id, contractId, currency: 'CNY' },
    });

    it('a regulator sees contract balances in its districts only; others get 404', async () => {
      const s = await school(t);
      const pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
      const signed = await s.contract(10, '1000.00', undefined, false);
      // Signed, nothing paid yet: no account is open, and the balance is zero (not 404).
      expect((await t.request('GET', `/ledger/contracts/${signed.id}/balance`, { key: s.r1 })).body).toMatchObject({ paidIn: '0.00', held: '0.00', consistent: true });
      const c = ownerOf(s, signed.id);
      await fund(ledger, ds, c, '600.00');
      await release(ledger, ds, c, '25.00');
      const heldId = await accountIdOf(ds, 'contract_held', c.owner);
      const mine = await t.request('GET', `/ledger/contracts/${c.contractId}/balance`, { key: s.r1 });
      expect(mine.body).toMatchObject({ currency: 'CNY', paidIn: '600.00', released: '25.00', refunded: '0.00', held: '575.00', consistent: true });
      expect((await t.request('GET', `/ledger/contracts/${c.contractId}/balance`, { key: pudong })).status).toBe(404);
      const inst = await t.request('GET', `/ledger/institutions/${s.inst.id}/balance`, { key: s.r1 });
      expect(inst.body).toMatchObject({ currency: 'CNY', held: '575.00', unsettled: '25.00', settled: '0.00' });
      // Per currency: another currency's balances are its own (none here), never added to CNY.
      const hkd = await t.request('GET', `/ledger/institutions/${s.inst.id}/balance?currency=HKD`, { key: s.r1 });
      expect(hkd.body).toMatchObject({ currency: 'HKD', held: '0.00', unsettled: '0.00', settled: '0.00' });
      expect((await t.request('GET', `/ledger/institutions/${s.inst.id}/balance?currency=XXX`, { key: s.r1 })).status).toBe(400);
      expect((await t.request('GET', `/ledger/institutions/${s.inst.id}/balance`, { key: pudong })).status).toBe(404);
      const page1 = await t.request('GET', `/ledger/accounts/${heldId}/postings?limit=1`, { key: s.r1 });
      expect(page1.body.items).toHaveLength(1);
      expect(page1.body.items[0].transactionType).toBe('release');
      const page2 = await t.request('GET', `/ledger/accounts/${heldId}/postings?limit=1&cursor=${page1.body.nextCursor}`, { key: s.r1 });
      expect(page2.body.items[0].transactionType).toBe('funding');
      expect((await t.request('GET', `/ledger/accounts/${heldId}`, { key: s.instKey })).body).toMatchObject({ type: 'contract_held', balance: '575.00' });
      expect((await t.request('GET', `/ledger/accounts/${heldId}`, { key: pudong })).status).toBe(404);
      const txn = page1.body.items[0].transactionId;
      expect((await t.request('GET', `/ledger/transactions/${txn}`, { key: s.r1 })).status).toBe(200);
      const hidden = await t.request('GET', `/ledger/transactions/${txn}`, { key: pudong });
      expect([hidden.status, hidden.body.error.code]).toEqual([404, 'LEDGER_TRANSACTION_NOT_FOUND']);
    });

    it("a 404 outside one's scope names nothing: the same answer as for an account that does not exist", async () => {
      const s = await school(t);
      const pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
      const c = ownerOf(s, (await s.contract(5, '500.00', undefined, false)).id);
      await fund(ledger, ds, c, '1.00');
      const heldId = (await accountIdOf(ds, 'contract_held', c.owner))!;
      const [{ code }] = await ds.query(`SELECT code FROM ledger_accounts WHERE id = $1`, [heldId]);
      const outOfScope = [await t.request('GET', `/ledger/accounts/${heldId}`, { key: pudong }), await t.request('GET', `/ledger/contracts/${c.contractId}/balance`, { key: pudong })];
      const missing = [await t.request('GET', '/ledger/accounts/999999999', { key: pudong }), await t.request('GET', `/ledger/contracts/${randomUUID()}/balance`, { key: pudong })];
      for (const r of [...outOfScope, ...missing]) {
        expect(r.status).toBe(404);
        expect(r.body.error).toMatchObject({ code: 'LEDGER_ACCOUNT_NOT_FOUND', message: 'Ledger account not found' });
        expect(r.body.error.details ?? null).toBeNull();
        for (const secret of [code, heldId, c.contractId, c.owner.institutionId, c.owner.escrowAccountId]) expect(r.text).not.toContain(secret);
      }
    });

    it('a bank reads the accounts of escrow accounts at that bank only', async () => {
      const s = await school(t);
      const c = ownerOf(s, (await s.contract(5, '500.00', undefined, false)).id);
      await fund(ledger, ds, c, '3.00');
      const cash = await accountIdOf(ds, 'bank_cash', c.owner);
      const icbc = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
      const boc = await t.createKey({ role: 'bank', bankCode: 'BOC-SH' });
      expect((await t.request('GET', `/ledger/accounts/${cash}`, { key: icbc })).body).toMatchObject({ type: 'bank_cash', balance: '3.00' });
      expect((await t.request('GET', `/ledger/accounts/${cash}`, { key: boc })).status).toBe(404);
      // Accounts of the institution itself (shared by all its escrow accounts) are not the bank's to read.
      await release(ledger, ds, c, '1.00');
      expect((await t.request('GET', `/ledger/accounts/${await accountIdOf(ds, 'institution_unsettled', c.owner)}`, { key: icbc })).status).toBe(404);
    });
  });
});
