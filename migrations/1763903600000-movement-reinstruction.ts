import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed movements can be sent again (issue 14, "Failed settlements"): a re-instruction is a new
 * movement linked to the failed one, with its reason and who asked. `reinstructs_id` is unique, so
 * a failed movement is re-instructed at most once (its re-instruction may fail and be re-instructed
 * in turn, as a chain); the new movement's source is the failed one's plus `.again`.
 */
export class MovementReinstruction1763903600000 implements MigrationInterface {
  name = 'MovementReinstruction1763903600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement_instructions ADD COLUMN reinstructs_id uuid REFERENCES settlement_instructions(id),
                     ADD COLUMN reinstruct_reason text, ADD COLUMN reinstructed_by text,
                     ADD CONSTRAINT settlement_instructions_reinstructs_key UNIQUE (reinstructs_id),
                     ADD CONSTRAINT settlement_instructions_reinstruct_check CHECK ((reinstructs_id IS NULL) = (reinstruct_reason IS NULL AND reinstructed_by IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement_instructions DROP COLUMN reinstructs_id, DROP COLUMN reinstruct_reason, DROP COLUMN reinstructed_by`);
  }
}
