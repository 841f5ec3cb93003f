import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A proposed closure transfer can be withdrawn by the district's regulator (or an admin) while no
 * money has moved: state `withdrawn`, who, when and why. The contract is then refunded by the
 * closure like any other open contract.
 */
export class ClosureTransferWithdrawal1763990000000 implements MigrationInterface {
  name = 'ClosureTransferWithdrawal1763990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE closure_transfers DROP CONSTRAINT closure_transfers_state_check,
                     ADD CONSTRAINT closure_transfers_state_check CHECK (state IN ('proposed', 'instructed', 'completed', 'failed', 'withdrawn'))`);
    await q.query(`ALTER TABLE closure_transfers ADD COLUMN withdrawn_at timestamptz, ADD COLUMN withdrawn_by text, ADD COLUMN withdrawal_reason text,
                     ADD CONSTRAINT closure_transfers_withdrawn_check CHECK ((state = 'withdrawn') = (withdrawn_at IS NOT NULL AND withdrawn_by IS NOT NULL AND withdrawal_reason IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE closure_transfers DROP CONSTRAINT closure_transfers_withdrawn_check, DROP COLUMN withdrawn_at, DROP COLUMN withdrawn_by, DROP COLUMN withdrawal_reason`);
    await q.query(`ALTER TABLE closure_transfers DROP CONSTRAINT closure_transfers_state_check,
                     ADD CONSTRAINT closure_transfers_state_check CHECK (state IN ('proposed', 'instructed', 'completed', 'failed'))`);
  }
}
