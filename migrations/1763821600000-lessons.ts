import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One lesson, one release (一课一销): class sessions, the lesson each attendance consumes (with
 * its exact amount), payer confirmation or dispute, deemed confirmation, and settlement
 * instructions written with each release. Plus admin overrides of the working-day calendar.
 */
export class Lessons1763821600000 implements MigrationInterface {
  name = 'Lessons1763821600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE calendar_overrides (
        day         date PRIMARY KEY,
        is_workday  boolean NOT NULL,
        reason      text NOT NULL,
        created_by  uuid,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE contracts ADD COLUMN lessons_consumed integer NOT NULL DEFAULT 0 CHECK (lessons_consumed >= 0 AND lessons_consumed <= lessons),
                                        ADD COLUMN amount_consumed numeric(18,2) NOT NULL DEFAULT 0 CHECK (amount_consumed >= 0 AND amount_consumed <= total_price)`);
    await q.query(`
      CREATE TABLE lesson_sessions (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        institution_id  uuid NOT NULL REFERENCES institutions(id),
        course_id       uuid NOT NULL REFERENCES courses(id),
        session_key     text NOT NULL,
        starts_at       timestamptz NOT NULL,
        ends_at         timestamptz NOT NULL CHECK (ends_at > starts_at),
        teacher         text NOT NULL,
        location        text NOT NULL,
        created_by      uuid,
        created_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lesson_sessions_key UNIQUE (institution_id, session_key)
      )`);
    await q.query(`
      CREATE TABLE lessons (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id       uuid NOT NULL REFERENCES lesson_sessions(id),
        contract_id      uuid NOT NULL REFERENCES contracts(id),
        institution_id   uuid NOT NULL REFERENCES institutions(id),
        amount           numeric(18,2) NOT NULL CHECK (amount >= 0),
        state            text NOT NULL CHECK (state IN ('delivered', 'confirmed', 'disputed', 'withdrawn')),
        delivered_on     date NOT NULL,
        confirm_by       date NOT NULL,
        confirmation     text CHECK (confirmation IN ('payer', 'deemed', 'regulator')),
        confirmed_at     timestamptz,
        dispute_reason   text,
        disputed_at      timestamptz,
        resolution       text,
        released_at      timestamptz,
        release_txn_id   bigint REFERENCES ledger_transactions(id),
        created_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lessons_session_contract_key UNIQUE (session_id, contract_id),
        CHECK ((released_at IS NULL) = (release_txn_id IS NULL)),
        CHECK (released_at IS NULL OR state = 'confirmed')
      )`);
    await q.query(`CREATE INDEX lessons_contract_idx ON lessons (contract_id, created_at)`);
    await q.query(`CREATE INDEX lessons_deemed_idx ON lessons (confirm_by) WHERE state = 'delivered'`);
    await q.query(`CREATE INDEX lessons_unreleased_idx ON lessons (institution_id) WHERE state = 'confirmed' AND released_at IS NULL`);
    await q.query(`
      CREATE TABLE settlement_instructions (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind               text NOT NULL CHECK (kind IN ('release', 'refund', 'deduction')),
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        institution_id     uuid NOT NULL REFERENCES institutions(id),
        amount             numeric(18,2) NOT NULL CHECK (amount > 0),
        currency           char(3) NOT NULL,
        ledger_txn_id      bigint NOT NULL CONSTRAINT settlement_instructions_txn_key UNIQUE REFERENCES ledger_transactions(id),
        state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'queued', 'sent', 'acknowledged', 'executed', 'failed', 'cancelled')),
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement_instructions`);
    await q.query(`DROP TABLE lessons`);
    await q.query(`DROP TABLE lesson_sessions`);
    await q.query(`ALTER TABLE contracts DROP COLUMN lessons_consumed, DROP COLUMN amount_consumed`);
    await q.query(`DROP TABLE calendar_overrides`);
  }
}
