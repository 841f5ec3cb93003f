import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Balance rows carry their account's currency, as they carry its owner and kind: the audit sums
 * balances per institution and currency without joining every account (500,000 contracts made
 * that join the whole cost of the audit).
 */
export class BalanceCurrency1763868400000 implements MigrationInterface {
  name = 'BalanceCurrency1763868400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_balances ADD COLUMN currency char(3)`);
    await q.query(`UPDATE ledger_balances b SET currency = a.currency FROM ledger_accounts a WHERE a.id = b.account_id`);
    await q.query(`ALTER TABLE ledger_balances ALTER COLUMN currency SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_balances DROP COLUMN currency`);
  }
}
