import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivering settlement instructions to custody banks: the institution's basic account (where a
 * release goes), bank endpoints that can be disabled (410), per-escrow-account sequence numbers,
 * and every delivery attempt recorded.
 */
export class SettlementDelivery1763828800000 implements MigrationInterface {
  name = 'SettlementDelivery1763828800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE institutions ADD COLUMN basic_account_bank text, ADD COLUMN basic_account_number text`);
    await q.query(`ALTER TABLE banks ADD COLUMN disabled_at timestamptz, ADD COLUMN disabled_reason text`);
    await q.query(`ALTER TABLE escrow_accounts ADD COLUMN instruction_seq bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE settlement_instructions
                     ADD COLUMN sequence bigint,
                     ADD COLUMN attempts integer NOT NULL DEFAULT 0,
                     ADD COLUMN last_attempt_at timestamptz,
                     ADD COLUMN next_attempt_at timestamptz,
                     ADD COLUMN dead_lettered_at timestamptz,
                     ADD CONSTRAINT settlement_instructions_sequence_key UNIQUE (escrow_account_id, sequence)`);
    await q.query(`CREATE INDEX settlement_instructions_dead_idx ON settlement_instructions (dead_lettered_at) WHERE dead_lettered_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE settlement_delivery_attempts (
        id              bigserial PRIMARY KEY,
        instruction_id  uuid NOT NULL REFERENCES settlement_instructions(id),
        attempt         integer NOT NULL,
        at              timestamptz NOT NULL DEFAULT now(),
        status_code     integer,
        error           text,
        latency_ms      integer NOT NULL,
        response        text
      )`);
    await q.query(`CREATE INDEX settlement_delivery_attempts_instruction_idx ON settlement_delivery_attempts (instruction_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement_delivery_attempts`);
    await q.query(`DROP INDEX settlement_instructions_dead_idx`);
    await q.query(`ALTER TABLE settlement_instructions DROP CONSTRAINT settlement_instructions_sequence_key,
                     DROP COLUMN sequence, DROP COLUMN attempts, DROP COLUMN last_attempt_at, DROP COLUMN next_attempt_at, DROP COLUMN dead_lettered_at`);
    await q.query(`ALTER TABLE escrow_accounts DROP COLUMN instruction_seq`);
    await q.query(`ALTER TABLE banks DROP COLUMN disabled_at, DROP COLUMN disabled_reason`);
    await q.query(`ALTER TABLE institutions DROP COLUMN basic_account_bank, DROP COLUMN basic_account_number`);
  }
}
