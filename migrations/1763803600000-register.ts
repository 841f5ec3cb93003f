import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The regulator's register: institutions (with change history), licences (with their
 * transitions and joint-review approvals), annual inspections, escrow accounts (with the
 * freeze audit) and supervision events.
 */
export class Register1763803600000 implements MigrationInterface {
  name = 'Register1763803600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE institutions (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name                  text NOT NULL,
        uscc                  char(18) NOT NULL CONSTRAINT institutions_uscc_key UNIQUE,
        district_code         char(6) NOT NULL CHECK (district_code ~ '^[0-9]{6}$'),
        category              text NOT NULL CHECK (category IN ('subject', 'non_subject')),
        profit_type           text NOT NULL CHECK (profit_type IN ('for_profit', 'non_profit')),
        address               text NOT NULL,
        legal_representative  text NOT NULL,
        contact_name          text NOT NULL,
        contact_phone         text NOT NULL,
        status                text NOT NULL DEFAULT 'operating' CHECK (status IN ('operating', 'closing', 'closed')),
        created_by            uuid,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX institutions_district_idx ON institutions (district_code, id)`);
    await q.query(`
      CREATE TABLE institution_history (
        id              bigserial PRIMARY KEY,
        institution_id  uuid NOT NULL REFERENCES institutions(id),
        change_type     text NOT NULL,
        changed_by      uuid,
        changed_at      timestamptz NOT NULL DEFAULT now(),
        before          jsonb,
        after           jsonb NOT NULL
      )`);
    await q.query(`CREATE INDEX institution_history_inst_idx ON institution_history (institution_id, id)`);

    await q.query(`
      CREATE TABLE district_review_settings (
        district_code       char(6) PRIMARY KEY,
        required_approvals  integer NOT NULL CHECK (required_approvals BETWEEN 1 AND 10),
        updated_by          uuid,
        updated_at          timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE licences (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        institution_id       uuid NOT NULL REFERENCES institutions(id),
        state                text NOT NULL CHECK (state IN ('applied','under_review','active','rejected','suspended','revoked','expired')),
        licence_number       text,
        valid_from           date,
        valid_to             date,
        required_approvals   integer,
        previous_licence_id  uuid REFERENCES licences(id),
        state_reason         text,
        suspended_until      date,
        created_by           uuid,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
      )`);
    await q.query(`CREATE INDEX licences_institution_idx ON licences (institution_id, created_at)`);
    await q.query(`CREATE INDEX licences_active_validity_idx ON licences (valid_to) WHERE state = 'active'`);
    // One licence in force (active or suspended) per institution.
    await q.query(`CREATE UNIQUE INDEX licences_one_in_force ON licences (institution_id) WHERE state IN ('active', 'suspended')`);
    await q.query(`CREATE UNIQUE INDEX licences_number_key ON licences (licence_number) WHERE licence_number IS NOT NULL AND state <> 'rejected'`);
    await q.query(`
      CREATE TABLE licence_approvals (
        licence_id   uuid NOT NULL REFERENCES licences(id),
        approver_id  uuid NOT NULL,
        approved_at  timestamptz NOT NULL DEFAULT now(),
        comment      text,
        PRIMARY KEY (licence_id, approver_id)
      )`);
    await q.query(`
      CREATE TABLE licence_transitions (
        id          bigserial PRIMARY KEY,
        licence_id  uuid NOT NULL REFERENCES licences(id),
        action      text NOT NULL,
        from_state  text,
        to_state    text NOT NULL,
        reason      text,
        actor_id    uuid,
        at          timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX licence_transitions_licence_idx ON licence_transitions (licence_id, id)`);

    await q.query(`
      CREATE TABLE annual_inspections (
        id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        institution_id            uuid NOT NULL REFERENCES institutions(id),
        year                      integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        result                    text NOT NULL CHECK (result IN ('pass', 'conditional', 'fail')),
        findings                  text NOT NULL,
        fund_supervision_findings text NOT NULL,
        inspector                 text NOT NULL,
        inspected_on              date NOT NULL,
        recorded_by               uuid,
        recorded_at               timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT annual_inspections_year_key UNIQUE (institution_id, year)
      )`);

    await q.query(`
      CREATE TABLE escrow_accounts (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        institution_id       uuid NOT NULL REFERENCES institutions(id),
        bank_code            text NOT NULL,
        account_number       text NOT NULL,
        account_name         text NOT NULL,
        currency             char(3) NOT NULL DEFAULT 'CNY',
        mode                 text NOT NULL CHECK (mode IN ('full_custody', 'risk_reserve')),
        required_reserve     numeric(18,2) CHECK (required_reserve IS NULL OR required_reserve >= 0),
        agreement_reference  text NOT NULL,
        state                text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'frozen', 'closed')),
        created_by           uuid,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        CHECK ((mode = 'risk_reserve') = (required_reserve IS NOT NULL)),
        CONSTRAINT escrow_accounts_bank_account_key UNIQUE (bank_code, account_number)
      )`);
    // At most one current (active or frozen) escrow account per institution.
    await q.query(`CREATE UNIQUE INDEX escrow_accounts_one_current ON escrow_accounts (institution_id) WHERE state <> 'closed'`);
    await q.query(`
      CREATE TABLE escrow_account_events (
        id                 bigserial PRIMARY KEY,
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        action             text NOT NULL CHECK (action IN ('filed', 'freeze', 'unfreeze', 'close')),
        reason             text NOT NULL,
        actor_id           uuid,
        at                 timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE supervision_events (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        institution_id  uuid NOT NULL REFERENCES institutions(id),
        district_code   char(6) NOT NULL,
        type            text NOT NULL,
        severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        message         text NOT NULL,
        details         jsonb NOT NULL DEFAULT '{}',
        dedupe_key      text NOT NULL CONSTRAINT supervision_events_dedupe_key UNIQUE,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX supervision_events_district_idx ON supervision_events (district_code, created_at DESC, id)`);
    // The history tables are evidence: they are never rewritten.
    await q.query(`
      CREATE FUNCTION reject_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['institution_history', 'licence_transitions', 'licence_approvals', 'escrow_account_events', 'supervision_events']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION reject_history_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['supervision_events', 'escrow_account_events', 'escrow_accounts', 'annual_inspections', 'licence_transitions', 'licence_approvals', 'licences', 'district_review_settings', 'institution_history', 'institutions']) {
      await q.query(`DROP TABLE ${t}`);
    }
    await q.query(`DROP FUNCTION reject_history_change()`);
  }
}
