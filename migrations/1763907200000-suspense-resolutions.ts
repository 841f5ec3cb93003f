import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Suspense resolution (issue 14, "Money that is stuck today"). A credit's part held in suspense is
 * resolved once, with a reason, by a regulator or an admin: applied to a contract (a credit of that
 * contract: suspense → contract held) or returned to the payer's original account (a `return`
 * money movement: suspense → refund payable, paid out by the bank). One row per credit (unique),
 * append-only: a resolution is evidence and is never rewritten.
 */
export class SuspenseResolutions1763907200000 implements MigrationInterface {
  name = 'SuspenseResolutions1763907200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE suspense_resolutions (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        credit_id          uuid NOT NULL REFERENCES bank_credits(id) CONSTRAINT suspense_resolutions_credit_key UNIQUE,
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        institution_id     uuid NOT NULL REFERENCES institutions(id),
        action             text NOT NULL CHECK (action IN ('apply', 'return')),
        amount             numeric(18,2) NOT NULL CHECK (amount > 0),
        currency           char(3) NOT NULL,
        contract_id        uuid REFERENCES contracts(id),
        movement_id        uuid REFERENCES settlement_instructions(id),
        ledger_txn_id      bigint REFERENCES ledger_transactions(id),
        reason             text NOT NULL,
        resolved_by        text NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        CHECK ((action = 'apply') = (contract_id IS NOT NULL)),
        CHECK ((action = 'return') = (movement_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX suspense_resolutions_institution_idx ON suspense_resolutions (institution_id, created_at)`);
    await q.query(`CREATE TRIGGER suspense_resolutions_append_only BEFORE UPDATE OR DELETE ON suspense_resolutions FOR EACH ROW EXECUTE FUNCTION reject_history_change()`);
    await q.query(`CREATE TRIGGER suspense_resolutions_no_truncate BEFORE TRUNCATE ON suspense_resolutions FOR EACH STATEMENT EXECUTE FUNCTION reject_history_change()`);
    await q.query(`CREATE INDEX bank_credits_suspense_idx ON bank_credits (escrow_account_id, received_at) WHERE to_suspense > 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX bank_credits_suspense_idx`);
    await q.query(`DROP TABLE suspense_resolutions`);
  }
}
