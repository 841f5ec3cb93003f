import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Instalment debits (issue 15): a contract sold in instalments has one `instalment_plans` row (the
 * debit terms of its policy, fixed at signing), its `instalments` and the payer's `mandates` row
 * (the account the bank debits). Each debit is a `debit` money movement (`debit.<instalment>.<try>`);
 * the instalment records its current movement in the same transaction.
 */
export class Instalments1763933600000 implements MigrationInterface {
  name = 'Instalments1763933600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE instalment_plans (
        contract_id           uuid PRIMARY KEY REFERENCES contracts(id),
        institution_id        uuid NOT NULL REFERENCES institutions(id),
        escrow_account_id     uuid NOT NULL REFERENCES escrow_accounts(id),
        currency              char(3) NOT NULL,
        pre_notification_days integer NOT NULL CHECK (pre_notification_days >= 0),
        retries               integer NOT NULL CHECK (retries >= 0),
        retry_delay_days      integer NOT NULL CHECK (retry_delay_days >= 1),
        state                 text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'stopped')),
        stopped_at            timestamptz,
        stop_reason           text,
        created_at            timestamptz NOT NULL DEFAULT now(),
        CHECK ((state = 'stopped') = (stopped_at IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE mandates (
        contract_id     uuid PRIMARY KEY REFERENCES instalment_plans(contract_id),
        bank            text NOT NULL,
        account_number  text NOT NULL,
        account_name    text NOT NULL,
        state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked')),
        created_at      timestamptz NOT NULL DEFAULT now(),
        revoked_at      timestamptz
      )`);
    await q.query(`
      CREATE TABLE instalments (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contract_id        uuid NOT NULL REFERENCES instalment_plans(contract_id),
        seq                integer NOT NULL CHECK (seq >= 1),
        covers_from        date NOT NULL,
        covers_to          date NOT NULL CHECK (covers_to >= covers_from),
        lessons            integer NOT NULL CHECK (lessons >= 0),
        amount             numeric(18,2) NOT NULL CHECK (amount > 0),
        collection_date    date NOT NULL,
        state              text NOT NULL DEFAULT 'scheduled'
                             CHECK (state IN ('scheduled', 'notified', 'instructed', 'retrying', 'paid', 'failed', 'cancelled')),
        attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_date  date,
        notified_at        timestamptz,
        movement_id        uuid REFERENCES settlement_instructions(id),
        failure_code       text,
        updated_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT instalments_seq_key UNIQUE (contract_id, seq)
      )`);
    await q.query(`CREATE INDEX instalments_open_idx ON instalments (collection_date) WHERE state IN ('scheduled', 'notified', 'retrying')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE instalments`);
    await q.query(`DROP TABLE mandates`);
    await q.query(`DROP TABLE instalment_plans`);
  }
}
