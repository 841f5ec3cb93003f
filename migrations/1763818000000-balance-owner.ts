import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit sums balances by institution and account type. Carrying both on the balance rows
 * (set once when an account opens, never changed) turns that into one scan without a join.
 */
export class BalanceOwner1763818000000 implements MigrationInterface {
  name = 'BalanceOwner1763818000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_balances ADD COLUMN institution_id uuid, ADD COLUMN account_type text`);
    await q.query(`UPDATE ledger_balances b SET institution_id = a.institution_id, account_type = a.type FROM ledger_accounts a WHERE a.id = b.account_id`);
    await q.query(`ALTER TABLE ledger_balances ALTER COLUMN account_type SET NOT NULL`);
    await q.query(`CREATE INDEX ledger_balances_institution_idx ON ledger_balances (institution_id, account_type)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ledger_balances_institution_idx`);
    await q.query(`ALTER TABLE ledger_balances DROP COLUMN institution_id, DROP COLUMN account_type`);
  }
}
