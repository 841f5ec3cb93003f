import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bank callbacks: results of settlement instructions (executed or failed), de-duplicated by the
 * bank's webhook id, and the `paid_out` memo account that carries a settlement's cumulative side.
 */
export class SettlementResults1763832400000 implements MigrationInterface {
  name = 'SettlementResults1763832400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check CHECK (type IN ('contract_held', 'institution_unsettled',
                     'institution_settled', 'refund_payable', 'bank_cash', 'suspense', 'risk_reserve', 'bank_adjustment', 'paid_out'))`);
    await q.query(`ALTER TABLE settlement_instructions ADD COLUMN executed_at timestamptz, ADD COLUMN bank_transaction_id text,
                     ADD COLUMN failure_code text, ADD COLUMN settlement_txn_id bigint REFERENCES ledger_transactions(id)`);
    await q.query(`
      CREATE TABLE bank_webhook_receipts (
        bank_code    text NOT NULL,
        webhook_id   text NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now(),
        response     jsonb NOT NULL,
        PRIMARY KEY (bank_code, webhook_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE bank_webhook_receipts`);
    await q.query(`ALTER TABLE settlement_instructions DROP COLUMN executed_at, DROP COLUMN bank_transaction_id, DROP COLUMN failure_code, DROP COLUMN settlement_txn_id`);
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check CHECK (type IN ('contract_held', 'institution_unsettled',
                     'institution_settled', 'refund_payable', 'bank_cash', 'suspense', 'risk_reserve', 'bank_adjustment'))`);
  }
}
