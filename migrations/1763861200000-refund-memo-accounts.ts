import { MigrationInterface, QueryRunner } from 'typeorm';

const BEFORE = `'contract_held', 'institution_unsettled', 'institution_settled', 'refund_payable', 'bank_cash', 'suspense', 'risk_reserve', 'bank_adjustment', 'paid_out'`;

/**
 * Executed refunds keep a cumulative memo pair (payer_refunded against refunded_out), as executed
 * settlements do (institution_settled against paid_out): what was refunded stays readable from
 * balances once the payable is gone.
 */
export class RefundMemoAccounts1763861200000 implements MigrationInterface {
  name = 'RefundMemoAccounts1763861200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check CHECK (type IN (${BEFORE}, 'payer_refunded', 'refunded_out'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check CHECK (type IN (${BEFORE}))`);
  }
}
