import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Money movements as data (issue 11). `settlement_instructions` keeps its name but becomes the
 * record of every bank money movement of any kind: the kind is validated by the code's registry
 * (no list of kinds in SQL, so a new kind is one file), each row gets an end-to-end reference
 * for the bank statement (≤ 16 characters, SWIFT x set, unique), the idempotency key of its
 * source, the contract it concerns, and snapshots of both sides (escrow account and payee) and
 * of the district, so delivery and callbacks read one row. Sequence numbers per escrow account
 * move into a counter table owned by the same module. Bank credits keep the payer's account
 * (refunds go back to it). Contracts gain the `closed` state.
 */
export class MoneyMovements1763839600000 implements MigrationInterface {
  name = 'MoneyMovements1763839600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement_instructions DROP CONSTRAINT settlement_instructions_kind_check`);
    await q.query(`ALTER TABLE settlement_instructions ADD CONSTRAINT settlement_instructions_kind_check CHECK (kind ~ '^[a-z][a-z_]{1,39}$')`);
    await q.query(`ALTER TABLE settlement_instructions
                     ADD COLUMN end_to_end_ref text,
                     ADD COLUMN source_ref text,
                     ADD COLUMN contract_id uuid REFERENCES contracts(id),
                     ADD COLUMN district_code char(6),
                     ADD COLUMN escrow_bank_code text,
                     ADD COLUMN escrow_account_number text,
                     ADD COLUMN escrow_account_name text,
                     ADD COLUMN payee_bank text,
                     ADD COLUMN payee_account_number text,
                     ADD COLUMN payee_account_name text,
                     ADD COLUMN failure_txn_id bigint REFERENCES ledger_transactions(id)`);
    // Backfill: every existing row is a release to the institution's basic account.
    await q.query(`
      UPDATE settlement_instructions s
         SET end_to_end_ref = 'EM' || upper(substr(md5(s.id::text), 1, 14)),
             source_ref = 'legacy.' || s.id,
             district_code = i.district_code,
             escrow_bank_code = e.bank_code, escrow_account_number = e.account_number, escrow_account_name = e.account_name,
             payee_bank = i.basic_account_bank, payee_account_number = i.basic_account_number, payee_account_name = i.name
        FROM escrow_accounts e, institutions i
       WHERE e.id = s.escrow_account_id AND i.id = s.institution_id`);
    await q.query(`ALTER TABLE settlement_instructions
                     ALTER COLUMN end_to_end_ref SET NOT NULL,
                     ALTER COLUMN source_ref SET NOT NULL,
                     ALTER COLUMN district_code SET NOT NULL,
                     ALTER COLUMN escrow_bank_code SET NOT NULL,
                     ALTER COLUMN escrow_account_number SET NOT NULL,
                     ALTER COLUMN escrow_account_name SET NOT NULL,
                     ADD CONSTRAINT settlement_instructions_end_to_end_ref_key UNIQUE (end_to_end_ref),
                     ADD CONSTRAINT settlement_instructions_end_to_end_ref_check
                       CHECK (length(end_to_end_ref) BETWEEN 1 AND 16 AND end_to_end_ref ~ '^[A-Za-z0-9/?:().,''+ -]+$' AND end_to_end_ref !~ '(^/|/$|//)'),
                     ADD CONSTRAINT settlement_instructions_source_ref_key UNIQUE (source_ref)`);
    await q.query(`CREATE INDEX settlement_instructions_contract_idx ON settlement_instructions (contract_id) WHERE contract_id IS NOT NULL`);
    await q.query(`CREATE INDEX settlement_instructions_waiting_idx ON settlement_instructions (escrow_bank_code) WHERE state = 'queued'`);
    await q.query(`
      CREATE TABLE movement_sequences (
        escrow_account_id  uuid PRIMARY KEY REFERENCES escrow_accounts(id),
        last               bigint NOT NULL CHECK (last >= 0)
      )`);
    await q.query(`INSERT INTO movement_sequences (escrow_account_id, last)
                   SELECT e.id, greatest(e.instruction_seq, coalesce(max(s.sequence), 0)) FROM escrow_accounts e LEFT JOIN settlement_instructions s ON s.escrow_account_id = e.id
                    GROUP BY e.id HAVING greatest(e.instruction_seq, coalesce(max(s.sequence), 0)) > 0`);

    await q.query(`ALTER TABLE bank_credits ADD COLUMN payer_bank text, ADD COLUMN payer_account_number text, ADD COLUMN payer_account_name text`);

    await q.query(`ALTER TABLE contracts DROP CONSTRAINT contracts_state_check`);
    await q.query(`ALTER TABLE contracts ADD CONSTRAINT contracts_state_check CHECK (state IN ('awaiting_payment', 'active', 'completed', 'terminated', 'refunded', 'closed'))`);
    await q.query(`ALTER TABLE contracts ADD COLUMN completed_at timestamptz, ADD COLUMN closed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contracts DROP COLUMN completed_at, DROP COLUMN closed_at`);
    await q.query(`ALTER TABLE contracts DROP CONSTRAINT contracts_state_check`);
    await q.query(`ALTER TABLE contracts ADD CONSTRAINT contracts_state_check CHECK (state IN ('awaiting_payment', 'active', 'completed', 'terminated', 'refunded'))`);
    await q.query(`ALTER TABLE bank_credits DROP COLUMN payer_bank, DROP COLUMN payer_account_number, DROP COLUMN payer_account_name`);
    await q.query(`UPDATE escrow_accounts e SET instruction_seq = m.last FROM movement_sequences m WHERE m.escrow_account_id = e.id`);
    await q.query(`DROP TABLE movement_sequences`);
    await q.query(`DROP INDEX settlement_instructions_waiting_idx`);
    await q.query(`DROP INDEX settlement_instructions_contract_idx`);
    await q.query(`ALTER TABLE settlement_instructions
                     DROP COLUMN end_to_end_ref, DROP COLUMN source_ref, DROP COLUMN contract_id, DROP COLUMN district_code,
                     DROP COLUMN escrow_bank_code, DROP COLUMN escrow_account_number, DROP COLUMN escrow_account_name,
                     DROP COLUMN payee_bank, DROP COLUMN payee_account_number, DROP COLUMN payee_account_name, DROP COLUMN failure_txn_id`);
    await q.query(`ALTER TABLE settlement_instructions DROP CONSTRAINT settlement_instructions_kind_check`);
    await q.query(`ALTER TABLE settlement_instructions ADD CONSTRAINT settlement_instructions_kind_check CHECK (kind IN ('release', 'refund', 'deduction'))`);
  }
}
