import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Release cadences other than per lesson: weekly settlement (postings at confirmation, one
 * netted instruction per institution and week, payable after a delay), tranches (e.g. 30/30/40
 * at one third, two thirds and the end of the lessons), and release after completion plus N
 * working days. Each lesson records the cadence it was delivered under.
 */
export class ReleaseCadences1763825200000 implements MigrationInterface {
  name = 'ReleaseCadences1763825200000';

  async up(q: QueryRunner): Promise<void> {
    // A weekly instruction nets many release transactions, so it points at none of them.
    await q.query(`ALTER TABLE settlement_instructions ADD COLUMN not_before date, ALTER COLUMN ledger_txn_id DROP NOT NULL`);
    await q.query(`ALTER TABLE lessons ADD COLUMN release_mode text NOT NULL DEFAULT 'per_lesson'
                     CHECK (release_mode IN ('per_lesson', 'weekly', 'tranches', 'after_completion')),
                   ADD COLUMN settlement_instruction_id uuid REFERENCES settlement_instructions(id)`);
    await q.query(`DROP INDEX lessons_unreleased_idx`);
    await q.query(`CREATE INDEX lessons_unreleased_idx ON lessons (institution_id) WHERE state = 'confirmed' AND released_at IS NULL AND release_mode IN ('per_lesson', 'weekly')`);
    await q.query(`CREATE INDEX lessons_weekly_unbatched_idx ON lessons (institution_id) WHERE release_mode = 'weekly' AND released_at IS NOT NULL AND settlement_instruction_id IS NULL`);
    await q.query(`
      CREATE TABLE contract_releases (
        contract_id     uuid NOT NULL REFERENCES contracts(id),
        part            integer NOT NULL CHECK (part >= 1),
        kind            text NOT NULL CHECK (kind IN ('tranche', 'completion')),
        amount          numeric(18,2) NOT NULL CHECK (amount >= 0),
        ledger_txn_id   bigint REFERENCES ledger_transactions(id),
        released_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (contract_id, part)
      )`);
    await q.query(`CREATE TRIGGER contract_releases_append_only BEFORE UPDATE OR DELETE ON contract_releases FOR EACH ROW EXECUTE FUNCTION reject_history_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE contract_releases`);
    await q.query(`DROP INDEX lessons_weekly_unbatched_idx`);
    await q.query(`DROP INDEX lessons_unreleased_idx`);
    await q.query(`CREATE INDEX lessons_unreleased_idx ON lessons (institution_id) WHERE state = 'confirmed' AND released_at IS NULL`);
    await q.query(`ALTER TABLE lessons DROP COLUMN settlement_instruction_id, DROP COLUMN release_mode`);
    await q.query(`ALTER TABLE settlement_instructions DROP COLUMN not_before`);
  }
}
