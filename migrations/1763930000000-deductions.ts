import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled bank deductions (issue 15, periodic release): a contract whose policy releases its
 * course on a schedule gets one `deduction_schedules` row and its `deduction_periods` at signing;
 * a daily job instructs each due period once (`deduction.<period id>` is the movement's source, and
 * `movement_id` is set in the same transaction). An agreed pause (`deduction_pauses`) shifts the
 * periods not yet due. Lessons of such a contract release nothing (`release_mode` 'periodic').
 */
export class Deductions1763930000000 implements MigrationInterface {
  name = 'Deductions1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE lessons DROP CONSTRAINT lessons_release_mode_check,
                     ADD CONSTRAINT lessons_release_mode_check CHECK (release_mode IN ('per_lesson', 'weekly', 'tranches', 'after_completion', 'periodic'))`);
    await q.query(`
      CREATE TABLE deduction_schedules (
        contract_id        uuid PRIMARY KEY REFERENCES contracts(id),
        institution_id     uuid NOT NULL REFERENCES institutions(id),
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        frequency          text NOT NULL CHECK (frequency IN ('monthly', 'weekly')),
        total              numeric(18,2) NOT NULL CHECK (total > 0),
        currency           char(3) NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE deduction_periods (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contract_id      uuid NOT NULL REFERENCES deduction_schedules(contract_id),
        seq              integer NOT NULL CHECK (seq >= 1),
        period_from      date NOT NULL,
        period_to        date NOT NULL CHECK (period_to >= period_from),
        due_date         date NOT NULL CHECK (due_date > period_to),
        amount           numeric(18,2) NOT NULL CHECK (amount >= 0),
        state            text NOT NULL DEFAULT 'scheduled'
                           CHECK (state IN ('scheduled', 'objected', 'instructed', 'deducted', 'failed', 'withheld', 'cancelled')),
        movement_id      uuid REFERENCES settlement_instructions(id),
        objection_reason text,
        objected_at      timestamptz,
        decision         text CHECK (decision IN ('release', 'withhold')),
        decision_reason  text,
        decided_by       text,
        decided_at       timestamptz,
        cancel_reason    text,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT deduction_periods_seq_key UNIQUE (contract_id, seq),
        CHECK ((state IN ('instructed', 'deducted', 'failed')) = (movement_id IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX deduction_periods_movement_key ON deduction_periods (movement_id) WHERE movement_id IS NOT NULL`);
    await q.query(`CREATE INDEX deduction_periods_due_idx ON deduction_periods (due_date) WHERE state = 'scheduled'`);
    await q.query(`
      CREATE TABLE deduction_pauses (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contract_id   uuid NOT NULL REFERENCES deduction_schedules(contract_id),
        pause_from    date NOT NULL,
        days          integer NOT NULL CHECK (days BETWEEN 1 AND 366),
        reason        text NOT NULL,
        state         text NOT NULL CHECK (state IN ('proposed', 'agreed')),
        proposed_by   text NOT NULL,
        agreed_at     timestamptz,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    // One pause waits for the payer's agreement at a time.
    await q.query(`CREATE UNIQUE INDEX deduction_pauses_one_proposed ON deduction_pauses (contract_id) WHERE state = 'proposed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deduction_pauses`);
    await q.query(`DROP TABLE deduction_periods`);
    await q.query(`DROP TABLE deduction_schedules`);
    await q.query(`ALTER TABLE lessons DROP CONSTRAINT lessons_release_mode_check,
                     ADD CONSTRAINT lessons_release_mode_check CHECK (release_mode IN ('per_lesson', 'weekly', 'tranches', 'after_completion'))`);
  }
}
