import { revertMigrations, runMigrations } from '@infra/database/migrator';
import { isSwiftReference } from '@modules/money-movements/end-to-end-ref';
import { ALL_MIGRATIONS } from '../../migrations';
import { MoneyMovements1763839600000 } from '../../migrations/1763839600000-money-movements';
import { createTestDatabase, TestDatabase } from '../support/test-db';

/** Settlement instructions written before money movements get their reference, source, snapshots and sequence counter. */
describe('money movements migration', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('backfills existing instructions and carries the sequence counters over', async () => {
    await runMigrations(db.url);
    const after = ALL_MIGRATIONS.length - ALL_MIGRATIONS.indexOf(MoneyMovements1763839600000);
    expect(await revertMigrations(db.url, after)).toBe(after);

    const [inst] = await db.query<{ id: string }>(
      `INSERT INTO institutions (name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone, basic_account_bank, basic_account_number)
       VALUES ('松江乐成', '91310117MA1FL0000X', '310117', 'subject', 'for_profit', '地址', '法人', '联系人', '13800000000', 'BOC-SH', '4567') RETURNING id`,
    );
    const [escrow] = await db.query<{ id: string }>(
      `INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, mode, agreement_reference, instruction_seq)
       VALUES ($1, 'ICBC-SH', '1001', '松江乐成监管户', 'full_custody', 'AGR', 7) RETURNING id`,
      [inst.id],
    );
    const legacy = await db.query<{ id: string }>(
      `INSERT INTO settlement_instructions (kind, escrow_account_id, institution_id, amount, currency, sequence)
       VALUES ('release', $1, $2, 10.00, 'CNY', 7), ('release', $1, $2, 20.00, 'CNY', NULL) RETURNING id`,
      [escrow.id, inst.id],
    );

    await runMigrations(db.url);
    const rows = await db.query<Record<string, string>>(
      `SELECT id, end_to_end_ref, source_ref, district_code, escrow_bank_code, escrow_account_number, escrow_account_name, payee_bank, payee_account_number, payee_account_name
         FROM settlement_instructions ORDER BY amount`,
    );
    expect(rows).toHaveLength(2);
    for (const [i, r] of rows.entries()) {
      expect(r).toMatchObject({
        id: legacy[i].id,
        source_ref: `legacy.${legacy[i].id}`,
        district_code: '310117',
        escrow_bank_code: 'ICBC-SH',
        escrow_account_number: '1001',
        escrow_account_name: '松江乐成监管户',
        payee_bank: 'BOC-SH',
        payee_account_number: '4567',
        payee_account_name: '松江乐成',
      });
      expect(isSwiftReference(r.end_to_end_ref)).toBe(true);
    }
    expect(rows[0].end_to_end_ref).not.toBe(rows[1].end_to_end_ref);
    expect(await db.query(`SELECT last::int FROM movement_sequences WHERE escrow_account_id = $1`, [escrow.id])).toEqual([{ last: 7 }]);
    // The database keeps references unique and in the SWIFT set whoever writes them.
    await expect(db.query(`UPDATE settlement_instructions SET end_to_end_ref = 'BAD_REF' WHERE id = $1`, [legacy[0].id])).rejects.toThrow(/end_to_end_ref_check/);
    await expect(db.query(`UPDATE settlement_instructions SET end_to_end_ref = $2 WHERE id = $1`, [legacy[0].id, rows[1].end_to_end_ref])).rejects.toThrow(/end_to_end_ref_key/);
  });
});
