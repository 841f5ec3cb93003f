import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LedgerChainService } from '@modules/ledger/ledger-chain.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { fund, ledgerViolations, openContract, openEscrowBook, release, TestContract } from '../support/ledger-fixtures';
import { runCli } from '../support/spawn-service';
import { startTestApp, TEST_BANK_SECRET_KEYS, TestApp } from '../support/test-app';

// Issue 16: ledger transactions form hash chains computed by ledger_post; verify recomputes them
// and names the first transaction changed behind the service's back.
describe('ledger hash chain', () => {
  let t: TestApp;
  let ds: DataSource;
  let ledger: LedgerService;
  let chain: LedgerChainService;
  /** A superuser session with the triggers off, as someone with the database's own tools would use. */
  let su: Client;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '20' } });
    ds = t.app.get<DataSource>(getDataSourceToken());
    ledger = t.app.get(LedgerService);
    chain = t.app.get(LedgerChainService);
    su = new Client({ connectionString: t.db.url });
    await su.connect();
    await su.query(`SET session_replication_role = replica`);
  });
  afterAll(async () => {
    await su.end();
    await t.close();
  });

  const CONTRACTS = 100;
  const POSTINGS = 10_000;
  let contracts: TestContract[];

  it(`verifies after ${POSTINGS} concurrent postings (16 writers, one hot institution, every chain used)`, async () => {
    const book = openEscrowBook();
    contracts = Array.from({ length: CONTRACTS }, () => openContract(book));
    for (const c of contracts) await fund(ledger, ds, c, '1000.00');
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < POSTINGS - CONTRACTS) {
          const i = next++;
          await release(ledger, ds, contracts[i % CONTRACTS], '0.01');
        }
      }),
    );
    const r = await chain.verify();
    expect(r).toMatchObject({ ok: true, transactions: POSTINGS, chains: 64, firstBroken: null, brokenChains: 0 });
    const heads: { used: number; total: string }[] = await ds.query(`SELECT count(*) FILTER (WHERE seq > 0)::int AS used, sum(seq)::text AS total FROM ledger_chain_heads`);
    expect(heads[0]).toEqual({ used: 64, total: String(POSTINGS) });
    expect(await ledgerViolations(ds)).toEqual([]);
  }, 300_000);

  it('GET /admin/ledger/verify answers the same for an admin only', async () => {
    const ok = await t.request('GET', '/admin/ledger/verify');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, transactions: POSTINGS, firstBroken: null });
    const regulator = await t.createKey({ role: 'regulator', districts: ['310117'] });
    expect((await t.request('GET', '/admin/ledger/verify', { key: regulator })).status).toBe(403);
  });

  /** Two transactions in the middle of their chains (the lower id is the one verify must name). */
  const middle = async (): Promise<[string, string]> => {
    const rows: { id: string }[] = await ds.query(`SELECT id::text FROM ledger_transactions WHERE chain_seq = 50 ORDER BY id LIMIT 2`);
    return [rows[0].id, rows[1].id];
  };

  it('finds an amount changed with the triggers disabled, names the first broken transaction, and is whole again once undone', async () => {
    const [first, second] = await middle();
    await su.query(`UPDATE ledger_postings SET amount = amount + 100 WHERE transaction_id = $1 AND amount > 0`, [second]);
    await su.query(`UPDATE ledger_postings SET amount = amount - 100 WHERE transaction_id = $1 AND amount < 0`, [second]);
    expect((await chain.verify()).firstBroken).toEqual({ transactionId: second, chain: expect.any(Number), seq: '50', reason: 'content_changed' });

    await su.query(`UPDATE ledger_transactions SET memo = 'nothing to see' WHERE id = $1`, [first]);
    const r = await chain.verify();
    expect(r).toMatchObject({ ok: false, brokenChains: 2, firstBroken: { transactionId: first, reason: 'content_changed' } });

    // The CLI says the same and exits 1.
    const cli = await runCli(['ledger:verify'], { DATABASE_URL: t.db.url, BANK_SECRET_KEYS: TEST_BANK_SECRET_KEYS });
    expect(cli.stdout).toContain(`LEDGER CHAIN BROKEN: first broken transaction ${first} (content_changed`);
    expect(cli.code).toBe(1);

    await su.query(`UPDATE ledger_transactions SET memo = NULL WHERE id = $1`, [first]);
    await su.query(`UPDATE ledger_postings SET amount = amount - 100 WHERE transaction_id = $1 AND amount > 0`, [second]);
    await su.query(`UPDATE ledger_postings SET amount = amount + 100 WHERE transaction_id = $1 AND amount < 0`, [second]);
    expect(await chain.verify()).toMatchObject({ ok: true });
    const passing = await runCli(['ledger:verify'], { DATABASE_URL: t.db.url, BANK_SECRET_KEYS: TEST_BANK_SECRET_KEYS });
    expect(passing.stdout).toContain(`Ledger hash chains intact: ${POSTINGS} transaction(s) in 64 chains`);
    expect(passing.code).toBe(0);
  }, 120_000);

  it('finds a transaction written around ledger_post, a rewritten hash, and a removed last transaction', async () => {
    // A transaction inserted directly (its postings balance, but it has no place in any chain).
    const forged = new Client({ connectionString: t.db.url });
    await forged.connect();
    forged.on('error', () => undefined);
    await forged.query(`BEGIN`);
    const [{ id }] = (await forged.query(`INSERT INTO ledger_transactions (type, request_hash) VALUES ('adjustment', 'forged') RETURNING id::text`)).rows;
    const accounts = (await forged.query(`SELECT id FROM ledger_accounts ORDER BY id LIMIT 2`)).rows;
    await forged.query(`INSERT INTO ledger_postings (transaction_id, account_id, amount, currency) VALUES ($1, $2, 5, 'CNY'), ($1, $3, -5, 'CNY')`, [id, accounts[0].id, accounts[1].id]);
    await forged.query(`COMMIT`);
    await forged.end();
    expect(await chain.verify()).toMatchObject({ ok: false, brokenChains: 1, firstBroken: { transactionId: id, chain: null, seq: null, reason: 'not_chained' } });
    await su.query(`DELETE FROM ledger_postings WHERE transaction_id = $1`, [id]);
    await su.query(`DELETE FROM ledger_transactions WHERE id = $1`, [id]);
    expect(await chain.verify()).toMatchObject({ ok: true });

    // Recomputing the changed row's own hash does not help: the next row no longer follows it.
    const [first] = await middle();
    await su.query(
      `UPDATE ledger_transactions SET memo = 'x', hash = ledger_chain_digest(prev_hash, chain, chain_seq, id, type, external_ref, reverses_id, actor, 'x', metadata, created_at, ledger_chain_stored_postings(id)) WHERE id = $1`,
      [first],
    );
    const next: { id: string }[] = await ds.query(
      `SELECT n.id::text FROM ledger_transactions t JOIN ledger_transactions n ON n.chain = t.chain AND n.chain_seq = t.chain_seq + 1 WHERE t.id = $1`,
      [first],
    );
    expect(await chain.verify()).toMatchObject({ brokenChains: 1, firstBroken: { transactionId: next[0].id, reason: 'link_broken' } });

    // The last transaction of another chain removed: its head still names it.
    const [last]: { id: string }[] = await ds.query(
      `SELECT h.last_txn_id::text AS id FROM ledger_chain_heads h JOIN ledger_transactions t ON t.id = $1 WHERE h.chain <> t.chain ORDER BY h.chain LIMIT 1`,
      [first],
    );
    await su.query(`DELETE FROM ledger_postings WHERE transaction_id = $1`, [last.id]);
    await su.query(`DELETE FROM ledger_transactions WHERE id = $1`, [last.id]);
    const r = await chain.verify();
    expect(r.brokenChains).toBe(2);
    const gone = BigInt(last.id) < BigInt(next[0].id);
    expect(r.firstBroken).toMatchObject(gone ? { transactionId: last.id, reason: 'missing_transaction' } : { transactionId: next[0].id, reason: 'link_broken' });
  }, 120_000);
});
