import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { revertMigrations, runMigrations } from '@infra/database/migrator';
import { LedgerChainService } from '@modules/ledger/ledger-chain.service';
import { ALL_MIGRATIONS } from '../../migrations';
import { LedgerHashChain1763940000000 } from '../../migrations/1763940000000-ledger-hash-chain';
import { createTestDatabase } from '../support/test-db';
import { startTestApp } from '../support/test-app';

/** Transactions posted before the chain existed are chained by its migration, and verify. */
describe('ledger hash chain migration', () => {
  it('chains existing transactions in id order; later postings continue the chains', async () => {
    const db = await createTestDatabase({ migrated: false });
    await runMigrations(db.url);
    const after = ALL_MIGRATIONS.length - ALL_MIGRATIONS.indexOf(LedgerHashChain1763940000000);
    expect(await revertMigrations(db.url, after)).toBe(after);
    // Three transactions through the previous ledger_post (no chain columns yet).
    await db.query(`INSERT INTO ledger_accounts (code, type, currency, normal_side, allow_negative, stripes) VALUES ('m:cash', 'bank_cash', 'CNY', 'debit', false, 1), ('m:held', 'contract_held', 'CNY', 'credit', false, 1)`);
    await db.query(`INSERT INTO ledger_balances (account_id, stripe, account_type, currency) SELECT id, 0, type, currency FROM ledger_accounts`);
    const [cash, held] = (await db.query<{ id: string }>(`SELECT id::text FROM ledger_accounts ORDER BY code`)).map((r) => r.id);
    for (const n of [1, 2, 3]) {
      const item = { type: 'funding', external_ref: `m-${n}`, request_hash: 'h', reverses_id: null, actor: null, memo: null, metadata: {}, stripe_hint: 0, postings: [{ account_id: cash, amount: `${n}.00`, currency: 'CNY' }, { account_id: held, amount: `-${n}.00`, currency: 'CNY' }] };
      const [{ r }] = await db.query<{ r: { ok: boolean }[] }>(`SELECT ledger_post($1::jsonb) AS r`, [JSON.stringify([item])]);
      expect(r[0].ok).toBe(true);
    }
    expect(await runMigrations(db.url)).toHaveLength(after);
    const t = await startTestApp({ db, env: { PROCESS_ROLE: 'api' } });
    try {
      expect(await db.query(`SELECT id::int, chain, chain_seq::int AS seq FROM ledger_transactions ORDER BY id`)).toEqual([
        { id: 1, chain: 1, seq: 1 },
        { id: 2, chain: 2, seq: 1 },
        { id: 3, chain: 3, seq: 1 },
      ]);
      const ds = t.app.get<DataSource>(getDataSourceToken());
      const item = { type: 'funding', external_ref: 'm-4', request_hash: 'h', reverses_id: null, actor: null, memo: null, metadata: {}, stripe_hint: 2, postings: [{ account_id: cash, amount: '4.00', currency: 'CNY' }, { account_id: held, amount: '-4.00', currency: 'CNY' }] };
      await ds.query(`SELECT ledger_post($1::jsonb)`, [JSON.stringify([item])]);
      expect(await db.query(`SELECT chain, chain_seq::int AS seq FROM ledger_transactions WHERE id = 4`)).toEqual([{ chain: 2, seq: 2 }]);
      expect(await t.app.get(LedgerChainService).verify()).toMatchObject({ ok: true, transactions: 4 });
    } finally {
      await t.close();
      await db.drop();
    }
  });
});
