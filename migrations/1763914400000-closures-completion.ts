import { MigrationInterface, QueryRunner } from 'typeorm';

const ACCOUNT_TYPES = `'contract_held', 'institution_unsettled', 'institution_settled', 'refund_payable', 'bank_cash', 'suspense', 'risk_reserve', 'bank_adjustment', 'paid_out', 'payer_refunded', 'refunded_out'`;

/**
 * Closures, second part (issue 14): planned closures (a closure date after the policy's notice
 * period; `announced` until then), the refund plan of a closure (each open contract's claim and
 * what it is paid: pro rata when the escrow account holds less than the payers are owed), the
 * shortfall per contract (`owed`), transfers of students to another institution, and completion.
 * `transfer_payable` holds a transfer between its instruction and the bank's execution; `closure_pool`
 * what contracts hold above their pro rata share when a closure is short of cash; `payer_transferred`
 * against `transferred_out` the cumulative memo of executed transfers (the audit's `transferred`).
 */
export class ClosuresCompletion1763914400000 implements MigrationInterface {
  name = 'ClosuresCompletion1763914400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE closures DROP CONSTRAINT closures_kind_check, ADD CONSTRAINT closures_kind_check CHECK (kind IN ('immediate', 'planned'))`);
    await q.query(`ALTER TABLE closures DROP CONSTRAINT closures_state_check,
                     ADD CONSTRAINT closures_state_check CHECK (state IN ('announced', 'refunding', 'refunds_done', 'completed'))`);
    await q.query(`ALTER TABLE closures ADD COLUMN closure_date date, ADD COLUMN started_at timestamptz, ADD COLUMN completed_at timestamptz,
                     ADD COLUMN pool numeric(18,2), ADD COLUMN claims numeric(18,2)`);
    await q.query(`UPDATE closures SET started_at = created_at, closure_date = (created_at AT TIME ZONE 'Asia/Shanghai')::date`);
    await q.query(`ALTER TABLE closures ALTER COLUMN closure_date SET NOT NULL, ADD CONSTRAINT closures_started_check CHECK ((state = 'announced') = (started_at IS NULL))`);
    await q.query(`CREATE INDEX closures_announced_idx ON closures (closure_date) WHERE state = 'announced'`);
    await q.query(`
      CREATE TABLE closure_plans (
        closure_id   uuid NOT NULL REFERENCES closures(id),
        contract_id  uuid NOT NULL REFERENCES contracts(id),
        claim        numeric(18,2) NOT NULL CHECK (claim >= 0),
        payable      numeric(18,2) NOT NULL CHECK (payable >= 0 AND payable <= claim),
        held         numeric(18,2) NOT NULL,
        rank         int NOT NULL,
        PRIMARY KEY (closure_id, contract_id)
      )`);
    await q.query(`CREATE TRIGGER closure_plans_append_only BEFORE UPDATE OR DELETE ON closure_plans FOR EACH ROW EXECUTE FUNCTION reject_history_change()`);
    await q.query(`
      CREATE TABLE closure_transfers (
        id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        closure_id                uuid NOT NULL REFERENCES closures(id),
        contract_id               uuid NOT NULL REFERENCES contracts(id) CONSTRAINT closure_transfers_contract_key UNIQUE,
        receiving_institution_id  uuid NOT NULL REFERENCES institutions(id),
        state                     text NOT NULL CHECK (state IN ('proposed', 'instructed', 'completed', 'failed')),
        reason                    text NOT NULL,
        proposed_by               text NOT NULL,
        accepted_by               text,
        accepted_at               timestamptz,
        course_id                 uuid,
        consented_at              timestamptz,
        amount                    numeric(18,2),
        new_contract_id           uuid REFERENCES contracts(id),
        movement_id               uuid,
        created_at                timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE closure_contracts DROP CONSTRAINT closure_contracts_outcome_check,
                     ADD CONSTRAINT closure_contracts_outcome_check CHECK (outcome IN ('refunded', 'owed', 'nothing', 'transferred'))`);
    await q.query(`ALTER TABLE closure_contracts ADD COLUMN owed numeric(18,2) NOT NULL DEFAULT 0 CHECK (owed >= 0),
                     ADD COLUMN transfer_id uuid REFERENCES closure_transfers(id),
                     ADD CONSTRAINT closure_contracts_transfer_check CHECK ((outcome = 'transferred') = (transfer_id IS NOT NULL))`);
    await q.query(`UPDATE closure_contracts SET owed = amount WHERE outcome = 'owed'`);
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check CHECK (type IN (${ACCOUNT_TYPES}, 'transfer_payable', 'closure_pool', 'payer_transferred', 'transferred_out'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_type_check`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type_check CHECK (type IN (${ACCOUNT_TYPES}))`);
    await q.query(`ALTER TABLE closure_contracts DROP CONSTRAINT closure_contracts_transfer_check, DROP COLUMN transfer_id, DROP COLUMN owed`);
    await q.query(`ALTER TABLE closure_contracts DROP CONSTRAINT closure_contracts_outcome_check,
                     ADD CONSTRAINT closure_contracts_outcome_check CHECK (outcome IN ('refunded', 'owed', 'nothing'))`);
    await q.query(`DROP TABLE closure_transfers`);
    await q.query(`DROP TABLE closure_plans`);
    await q.query(`DROP INDEX closures_announced_idx`);
    await q.query(`ALTER TABLE closures DROP CONSTRAINT closures_started_check, DROP COLUMN closure_date, DROP COLUMN started_at, DROP COLUMN completed_at, DROP COLUMN pool, DROP COLUMN claims`);
    await q.query(`ALTER TABLE closures DROP CONSTRAINT closures_state_check, ADD CONSTRAINT closures_state_check CHECK (state IN ('refunding', 'refunds_done'))`);
    await q.query(`ALTER TABLE closures DROP CONSTRAINT closures_kind_check, ADD CONSTRAINT closures_kind_check CHECK (kind IN ('immediate'))`);
  }
}
