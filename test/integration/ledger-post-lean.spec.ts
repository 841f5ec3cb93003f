import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerChainService } from '@modules/ledger/ledger-chain.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { accountIdOf, fund, ledgerViolations, openContract, openEscrowBook, release } from '../support/ledger-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 18: ledger_post was rewritten for speed (migration 1764300000000). These pin what the
// rewrite must keep: its hash is the verifier's byte for byte (for any content, sorted or not),
// a refused item changes nothing, the database still refuses unbalanced postings written around
// it, and consecutive transactions take different chains and stripes.
describe('ledger_post (lean)', () => {
  let t: TestApp;
  let ds: DataSource;
  let ledger: LedgerService;
  let chain: LedgerChainService;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    ds = t.app.get<DataSource>(getDataSourceToken());
    ledger = t.app.get(LedgerService);
    chain = t.app.get(LedgerChainService);
  });
  afterAll(() => t.close());

  type Item = Record<string, unknown> & { postings: { account_id: string; amount: string; currency: string }[] };
  const post = async (item: Item) => {
    const rows: { r: { ok: boolean; id?: number; error?: string; details?: Record<string, unknown>; replayed?: boolean }[] }[] = await ds.transaction((m) =>
      m.query(`SELECT ledger_post($1::jsonb) AS r`, [JSON.stringify([{ request_hash: 'h', stripe_hint: 3, metadata: {}, ...item }])]),
    );
    return rows[0].r[0];
  };
  /** Each stored hash next to the verifier's recomputation of the same row. */
  const recomputed = (id: number) =>
    ds.query(
      `SELECT encode(hash, 'hex') AS stored,
              encode(ledger_chain_digest(prev_hash, chain, chain_seq, id, type, external_ref, reverses_id, actor, memo, metadata, created_at,
                                         ledger_chain_stored_postings(id)), 'hex') AS verifier
         FROM ledger_transactions WHERE id = $1`,
      [id],
    );

  it("writes the verifier's hash for awkward content, postings sorted (built inline) or not (the SQL function)", async () => {
    const book = openEscrowBook();
    const a = openContract(book);
    const b = openContract(book);
    await fund(ledger, ds, a, '100.00');
    await fund(ledger, ds, b, '100.00');
    const [cash, heldA, heldB] = await Promise.all([accountIdOf(ds, 'bank_cash', a.owner), accountIdOf(ds, 'contract_held', a.owner), accountIdOf(ds, 'contract_held', b.owner)]);
    const memo = 'quote " backslash \\ newline \n tab \t 中文 emoji 🎓 nul-ish \u0001';
    const metadata = { z: [1, 'two', { nested: null }], a: 'é', longer_key: true, n: 1.5 };
    const items: Item[] = [
      // Sorted by account: the inline text. "5" and "-5" have no decimals (the hash says 5.00).
      { type: 'adjustment', external_ref: `lean.${a.contractId}.1`, memo, actor: 'ü "x"', metadata, postings: [
        { account_id: cash!, amount: '5', currency: 'CNY' },
        { account_id: heldA!, amount: '-5', currency: 'CNY' },
      ] },
      // Not sorted (descending ids, the same account twice): ledger_chain_postings.
      { type: 'transfer', external_ref: `lean.${a.contractId}.2`, postings: [
        { account_id: heldB!, amount: '1.50', currency: 'CNY' },
        { account_id: heldA!, amount: '-1.00', currency: 'CNY' },
        { account_id: heldA!, amount: '-0.50', currency: 'CNY' },
      ] },
      // Sorted, the same account twice (equal ids ordered by amount).
      { type: 'transfer', external_ref: `lean.${a.contractId}.3`, postings: [
        { account_id: heldA!, amount: '-0.50', currency: 'CNY' },
        { account_id: heldA!, amount: '-0.25', currency: 'CNY' },
        { account_id: heldB!, amount: '0.75', currency: 'CNY' },
      ] },
    ];
    for (const item of items) {
      const r = await post(item);
      expect(r).toMatchObject({ ok: true, replayed: false });
      const [row] = await recomputed(r.id!);
      expect(row.stored).toBe(row.verifier);
    }
    const reversal = await ledger.reverse(String((await post(items[0])).id), 'a reason with "quotes"', 'admin');
    const [rev] = await recomputed(Number(reversal.id));
    expect(rev.stored).toBe(rev.verifier);
    expect(await chain.verify()).toMatchObject({ ok: true, firstBroken: null });
    expect(await ledgerViolations(ds)).toEqual([]);
  });

  it('answers as before: replay, conflict, missing account, currency, too few, unbalanced; a refused item changes nothing', async () => {
    const book = openEscrowBook();
    const early = openContract(book);
    await fund(ledger, ds, early, '10.00');
    await release(ledger, ds, early, '1.00');
    const late = openContract(book);
    await fund(ledger, ds, late, '2.00');
    const [cash, unsettled, heldLate] = await Promise.all([
      accountIdOf(ds, 'bank_cash', early.owner),
      accountIdOf(ds, 'institution_unsettled', early.owner),
      accountIdOf(ds, 'contract_held', late.owner),
    ]);
    expect(BigInt(unsettled!)).toBeLessThan(BigInt(heldLate!));
    const balances = () => ds.query(`SELECT account_id::text, stripe, balance::text FROM ledger_balances ORDER BY 1, 2`);
    const before = await balances();
    const ref = `lean.${late.contractId}`;
    // The first posting (a credit of a striped account) applies, the second overdraws: undone.
    const over = await post({ type: 'release', external_ref: ref, postings: [
      { account_id: unsettled!, amount: '-3.00', currency: 'CNY' },
      { account_id: heldLate!, amount: '3.00', currency: 'CNY' },
    ] });
    expect(over).toEqual({ ok: false, error: 'INSUFFICIENT_FUNDS', details: { accountId: Number(heldLate), balance: 2, requested: 3 } });
    expect(await balances()).toEqual(before);
    const good = { type: 'release', external_ref: ref, postings: [
      { account_id: unsettled!, amount: '-2.00', currency: 'CNY' },
      { account_id: heldLate!, amount: '2.00', currency: 'CNY' },
    ] };
    const first = await post(good);
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(await post(good)).toEqual({ ok: true, id: first.id, replayed: true });
    expect(await post({ ...good, request_hash: 'other' })).toEqual({ ok: false, error: 'EXTERNAL_REF_CONFLICT', details: { externalRef: ref, transactionId: first.id } });
    expect(await post({ type: 'release', external_ref: `${ref}.x`, postings: [
      { account_id: cash!, amount: '1.00', currency: 'CNY' },
      { account_id: '999999999', amount: '-1.00', currency: 'CNY' },
    ] })).toEqual({ ok: false, error: 'LEDGER_ACCOUNT_NOT_FOUND', details: { accountId: '999999999' } });
    expect(await post({ type: 'release', external_ref: `${ref}.y`, postings: [
      { account_id: cash!, amount: '1.00', currency: 'USD' },
      { account_id: unsettled!, amount: '-1.00', currency: 'USD' },
    ] })).toEqual({ ok: false, error: 'CURRENCY_MISMATCH', details: { accountId: Number(cash), accountCurrency: 'CNY', postingCurrency: 'USD' } });
    expect(await post({ type: 'release', external_ref: `${ref}.z`, postings: [{ account_id: cash!, amount: '1.00', currency: 'CNY' }] }))
      .toEqual({ ok: false, error: 'UNBALANCED_TRANSACTION', details: { reason: 'fewer than two postings' } });
    expect(await post({ type: 'release', external_ref: `${ref}.w`, postings: [
      { account_id: cash!, amount: '1.00', currency: 'CNY' },
      { account_id: unsettled!, amount: '-0.99', currency: 'CNY' },
    ] })).toEqual({ ok: false, error: 'UNBALANCED_TRANSACTION', details: { currency: 'CNY', sum: 0.01 } });
    expect(await ledgerViolations(ds)).toEqual([]);
  });

  it('the database refuses, around ledger_post, postings that unbalance a transaction already committed', async () => {
    const c = openContract(openEscrowBook());
    const { id } = await fund(ledger, ds, c, '3.00');
    const [cash, held] = await Promise.all([accountIdOf(ds, 'bank_cash', c.owner), accountIdOf(ds, 'contract_held', c.owner)]);
    const insert = (values: string) => ds.query(`INSERT INTO ledger_postings (transaction_id, account_id, amount, currency) VALUES ${values}`);
    await expect(insert(`(${id}, ${cash}, 1, 'CNY')`)).rejects.toThrow(/does not balance|fewer than two/);
    await expect(insert(`(${id}, ${cash}, 1, 'CNY'), (${id}, ${held}, -2, 'CNY')`)).rejects.toThrow(/does not balance/);
    await expect(insert(`(${id}, ${cash}, 1, 'CNY'), (${id}, ${held}, -1, 'USD')`)).rejects.toThrow(/does not balance/);
    const postings: { n: number }[] = await ds.query(`SELECT count(*)::int AS n FROM ledger_postings WHERE transaction_id = $1`, [id]);
    expect(postings[0].n).toBe(2);
    expect(await ledgerViolations(ds)).toEqual([]);
  });

  it('the database refuses, around ledger_post, postings naming a missing transaction or account, and never loses an account', async () => {
    const c = openContract(openEscrowBook());
    const { id } = await fund(ledger, ds, c, '3.00');
    const [cash, held] = await Promise.all([accountIdOf(ds, 'bank_cash', c.owner), accountIdOf(ds, 'contract_held', c.owner)]);
    const insert = (values: string) => ds.query(`INSERT INTO ledger_postings (transaction_id, account_id, amount, currency) VALUES ${values}`);
    await expect(insert(`(${id}, ${cash}, 1, 'CNY'), (${id}, 999999999, -1, 'CNY')`)).rejects.toThrow(/no such transaction or account/);
    await expect(insert(`(999999999, ${cash}, 1, 'CNY'), (999999999, ${held}, -1, 'CNY')`)).rejects.toThrow(/no such transaction or account/);
    for (const sql of [`DELETE FROM ledger_accounts WHERE id = ${held}`, `TRUNCATE ledger_accounts CASCADE`, `UPDATE ledger_accounts SET id = id + 1000000000 WHERE id = ${held}`]) {
      await expect(ds.query(sql)).rejects.toThrow(/append-only|refused/);
    }
    // An account with no postings yet is kept as well (its id may sit in a service's cache).
    const [{ id: lone }] = await ds.query(
      `INSERT INTO ledger_accounts (code, type, currency, normal_side, allow_negative, stripes) VALUES ('lean:lone', 'suspense', 'CNY', 'credit', false, 1) RETURNING id`,
    );
    await expect(ds.query(`DELETE FROM ledger_accounts WHERE id = ${lone}`)).rejects.toThrow(/append-only/);
    expect(await ledgerViolations(ds)).toEqual([]);
  });

  it('consecutive transactions of one process take consecutive chains and stripes (in-flight writers do not meet)', async () => {
    const book = openEscrowBook();
    const c = openContract(book);
    await fund(ledger, ds, c, '100.00');
    const ids: string[] = [];
    for (let i = 0; i < 64; i++) ids.push((await release(ledger, ds, c, '0.01')).id);
    const rows: { chain: number }[] = await ds.query(`SELECT chain FROM ledger_transactions WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids]);
    expect(new Set(rows.map((r) => r.chain)).size).toBe(64);
    for (let i = 1; i < rows.length; i++) expect(rows[i].chain).toBe((rows[i - 1].chain + 1) % 64);
    // The institution's 16 credit stripes were each used 4 times.
    const stripes: { n: number }[] = await ds.query(
      `SELECT count(*)::int AS n FROM ledger_balances WHERE account_id = $1 AND balance > 0`,
      [await accountIdOf(ds, 'institution_unsettled', c.owner)],
    );
    expect(stripes[0].n).toBe(16);
  });
});
