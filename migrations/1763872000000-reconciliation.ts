import { MigrationInterface, QueryRunner } from 'typeorm';

const TYPES = `'MISSING_IN_LEDGER', 'MISSING_AT_BANK', 'AMOUNT_MISMATCH', 'DUPLICATE_AT_BANK', 'BALANCE_BREAK', 'STATEMENT_GAP', 'STATEMENT_MISSING', 'STATEMENT_INCONSISTENT'`;
const SOURCES = `'credit', 'movement', 'adjustment'`;
const DAY_STATUSES = `'reconciled', 'reconciled_in_transit', 'broken', 'missing'`;

/**
 * Reconciliation of bank statements against the ledger (issue 13, design in RECON-SPEC), owned by
 * the reconciliation module. Runs, resolutions and matches are evidence: runs and resolutions are
 * append-only; a match may only be reversed (reversed_at and reversal_reason set once, from NULL),
 * so unmatching keeps the history. A bank line and a platform record are matched at most once at a
 * time by partial unique indexes (not only by code). An adjustment needs two different people, by a
 * CHECK. Exceptions change state only (open ⇄ resolved); account-days are a recomputed projection.
 */
export class Reconciliation1763872000000 implements MigrationInterface {
  name = 'Reconciliation1763872000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_runs (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        statement_id       uuid NOT NULL CONSTRAINT reconciliation_runs_statement_key UNIQUE REFERENCES bank_statements(id),
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        business_date      date NOT NULL,
        status             text NOT NULL CHECK (status IN ('reconciled', 'reconciled_in_transit', 'broken', 'inconsistent', 'superseded')),
        bank_closing       numeric(18,2) NOT NULL,
        ledger_balance     numeric(18,2),
        in_transit         numeric(18,2),
        in_transit_items   integer NOT NULL DEFAULT 0 CHECK (in_transit_items >= 0),
        difference         numeric(18,2),
        residual           numeric(18,2),
        matched_lines      integer NOT NULL DEFAULT 0 CHECK (matched_lines >= 0),
        exceptions         integer NOT NULL DEFAULT 0 CHECK (exceptions >= 0),
        created_at         timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX reconciliation_runs_account_day_idx ON reconciliation_runs (escrow_account_id, business_date)`);

    await q.query(`
      CREATE TABLE reconciliation_adjustments (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        exception_id       uuid NOT NULL,
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        amount             numeric(18,2) NOT NULL CHECK (amount <> 0),
        currency           char(3) NOT NULL,
        reason             text NOT NULL,
        proposed_by        text NOT NULL,
        proposed_at        timestamptz NOT NULL DEFAULT now(),
        approved_by        text,
        approved_at        timestamptz,
        ledger_txn_id      bigint REFERENCES ledger_transactions(id),
        CONSTRAINT reconciliation_adjustments_two_people CHECK (approved_by IS NULL OR approved_by <> proposed_by),
        CONSTRAINT reconciliation_adjustments_approval_pair CHECK ((approved_by IS NULL) = (approved_at IS NULL))
      )`);

    await q.query(`
      CREATE TABLE reconciliation_exceptions (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dedupe_key         text NOT NULL CONSTRAINT reconciliation_exceptions_dedupe_key UNIQUE,
        run_id             uuid REFERENCES reconciliation_runs(id) DEFERRABLE INITIALLY DEFERRED,
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        institution_id     uuid NOT NULL REFERENCES institutions(id),
        district_code      char(6) NOT NULL,
        business_date      date NOT NULL,
        type               text NOT NULL CHECK (type IN (${TYPES})),
        currency           char(3) NOT NULL,
        amount             numeric(18,2) NOT NULL CHECK (amount >= 0),
        effect             numeric(18,2) NOT NULL,
        statement_id       uuid REFERENCES bank_statements(id),
        line               integer,
        bank_reference     text,
        source             text CHECK (source IN (${SOURCES})),
        record_id          uuid,
        platform_reference text,
        details            jsonb NOT NULL DEFAULT '{}',
        state              text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        CHECK ((source IS NULL) = (record_id IS NULL)),
        CHECK (line IS NULL OR statement_id IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX reconciliation_exceptions_account_idx ON reconciliation_exceptions (escrow_account_id, business_date) WHERE state = 'open'`);
    await q.query(`CREATE INDEX reconciliation_exceptions_district_idx ON reconciliation_exceptions (district_code, business_date DESC, id)`);
    await q.query(`CREATE INDEX reconciliation_exceptions_statement_idx ON reconciliation_exceptions (statement_id) WHERE statement_id IS NOT NULL`);
    await q.query(`ALTER TABLE reconciliation_adjustments ADD CONSTRAINT reconciliation_adjustments_exception_fk FOREIGN KEY (exception_id) REFERENCES reconciliation_exceptions(id)`);

    await q.query(`
      CREATE TABLE reconciliation_resolutions (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        exception_id    uuid NOT NULL REFERENCES reconciliation_exceptions(id),
        action          text NOT NULL CHECK (action IN ('manual_match', 'timing_difference', 'adjustment', 'apply_credit', 'auto_match', 'superseded', 'reversal')),
        reason          text NOT NULL CHECK (length(reason) > 0),
        actor           text NOT NULL,
        actor_role      text NOT NULL,
        match_group_id  uuid,
        adjustment_id   uuid REFERENCES reconciliation_adjustments(id),
        credit_id       uuid,
        reverses_id     uuid CONSTRAINT reconciliation_resolutions_reverses_key UNIQUE REFERENCES reconciliation_resolutions(id),
        created_at      timestamptz NOT NULL DEFAULT now(),
        CHECK ((action = 'reversal') = (reverses_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX reconciliation_resolutions_exception_idx ON reconciliation_resolutions (exception_id, created_at)`);

    await q.query(`
      CREATE TABLE reconciliation_matches (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        group_id           uuid NOT NULL,
        part               integer NOT NULL,
        parts              integer NOT NULL,
        run_id             uuid,
        resolution_id      uuid REFERENCES reconciliation_resolutions(id) DEFERRABLE INITIALLY DEFERRED,
        escrow_account_id  uuid NOT NULL,
        statement_id       uuid NOT NULL,
        line               integer NOT NULL,
        bank_date          date NOT NULL,
        bank_amount        numeric(18,2) NOT NULL,
        source             text NOT NULL CHECK (source IN (${SOURCES})),
        record_id          uuid NOT NULL,
        record_amount      numeric(18,2) NOT NULL,
        record_posted_at   timestamptz NOT NULL,
        difference         numeric(18,2) NOT NULL DEFAULT 0,
        method             text NOT NULL CHECK (method IN ('reference', 'batch', 'amount_date', 'manual', 'auto')),
        created_at         timestamptz NOT NULL DEFAULT now(),
        reversed_at        timestamptz,
        reversal_reason    text,
        CONSTRAINT reconciliation_matches_part CHECK (part >= 1 AND part <= parts),
        CONSTRAINT reconciliation_matches_group_part_key UNIQUE (group_id, part),
        CONSTRAINT reconciliation_matches_reversal_pair CHECK ((reversed_at IS NULL) = (reversal_reason IS NULL))
      )`);
    // No foreign keys from a match to its run and bank line: a run writes a million of them, and the engine
    // takes both from the rows themselves (a manual match checks its line); each key costs a lookup per row.
    // The two rules of issue 13, in the database: a bank line in one active match (the parts of a
    // many-to-one match share the line, one part each), a platform record in one active match.
    await q.query(`CREATE UNIQUE INDEX reconciliation_matches_active_line_key ON reconciliation_matches (statement_id, line, part) WHERE reversed_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX reconciliation_matches_active_record_key ON reconciliation_matches (source, record_id) WHERE reversed_at IS NULL`);
    // The balance terms of a day read the recent end of an account's matches: booked after the day, posted after it.
    await q.query(`CREATE INDEX reconciliation_matches_account_idx ON reconciliation_matches (escrow_account_id, bank_date) WHERE reversed_at IS NULL`);
    await q.query(`CREATE INDEX reconciliation_matches_account_posted_idx ON reconciliation_matches (escrow_account_id, record_posted_at) WHERE reversed_at IS NULL`);
    await q.query(`CREATE INDEX reconciliation_matches_resolution_idx ON reconciliation_matches (resolution_id) WHERE resolution_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE reconciliation_account_days (
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        business_date      date NOT NULL,
        institution_id     uuid NOT NULL REFERENCES institutions(id),
        district_code      char(6) NOT NULL,
        currency           char(3) NOT NULL,
        status             text NOT NULL CHECK (status IN (${DAY_STATUSES})),
        statement_id       uuid REFERENCES bank_statements(id),
        run_id             uuid REFERENCES reconciliation_runs(id),
        bank_closing       numeric(18,2),
        ledger_balance     numeric(18,2),
        in_transit         numeric(18,2),
        difference         numeric(18,2),
        open_exceptions    integer NOT NULL DEFAULT 0 CHECK (open_exceptions >= 0),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (escrow_account_id, business_date)
      )`);
    await q.query(`CREATE INDEX reconciliation_account_days_district_idx ON reconciliation_account_days (district_code, business_date)`);
    await q.query(`CREATE INDEX reconciliation_account_days_institution_idx ON reconciliation_account_days (institution_id, business_date DESC)`);

    // Candidates of a statement's window are read per escrow account and day (reconciliation's hot reads).
    await q.query(`CREATE INDEX bank_credits_account_value_date_idx ON bank_credits (escrow_account_id, value_date)`);
    await q.query(`CREATE INDEX bank_credits_account_received_idx ON bank_credits (escrow_account_id, received_at)`);
    await q.query(`CREATE INDEX settlement_instructions_account_executed_idx ON settlement_instructions (escrow_account_id, executed_at) WHERE state = 'executed'`);

    await q.query(`
      CREATE FUNCTION reconciliation_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'reconciliation evidence is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const t of ['reconciliation_runs', 'reconciliation_resolutions']) {
      await q.query(`CREATE TRIGGER ${t}_no_update_delete BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION reconciliation_reject_change()`);
    }
    for (const t of ['reconciliation_runs', 'reconciliation_resolutions', 'reconciliation_matches', 'reconciliation_exceptions', 'reconciliation_adjustments']) {
      await q.query(`CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_reject_change()`);
    }
    for (const t of ['reconciliation_matches', 'reconciliation_exceptions', 'reconciliation_adjustments']) {
      await q.query(`CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION reconciliation_reject_change()`);
    }

    // A match is only ever reversed: reversed_at and reversal_reason go from NULL to a value, nothing else changes.
    await q.query(`
      CREATE FUNCTION reconciliation_matches_reverse_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.reversed_at IS NOT NULL OR NEW.reversed_at IS NULL OR NEW.reversal_reason IS NULL
           OR (to_jsonb(NEW) - 'reversed_at' - 'reversal_reason') IS DISTINCT FROM (to_jsonb(OLD) - 'reversed_at' - 'reversal_reason') THEN
          RAISE EXCEPTION 'reconciliation matches are immutable: only a reversal (reversed_at, reversal_reason from NULL) is allowed' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER reconciliation_matches_reverse_only BEFORE UPDATE ON reconciliation_matches FOR EACH ROW EXECUTE FUNCTION reconciliation_matches_reverse_only()`);

    // The parts of a line's active match belong to one group. The unique index above admits one part 1
    // per line; every part after 1 must join the part 1 of its own group on the same line, so a second
    // group on a line (say, only a part 2) is refused like a duplicate. Checked after the row (it sees
    // the whole multi-row INSERT) and only for parts after 1, so the bulk inserts of a run pay nothing.
    await q.query(`
      CREATE FUNCTION reconciliation_matches_part_joins_group() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.reversed_at IS NULL AND NOT EXISTS (
             SELECT 1 FROM reconciliation_matches x
              WHERE x.group_id = NEW.group_id AND x.part = 1 AND x.statement_id = NEW.statement_id AND x.line = NEW.line AND x.reversed_at IS NULL) THEN
          RAISE EXCEPTION 'bank line % of statement % is already matched, or part % has no part 1 in its group', NEW.line, NEW.statement_id, NEW.part
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'reconciliation_matches_active_line_key';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER reconciliation_matches_part_joins_group AFTER INSERT ON reconciliation_matches
                     FOR EACH ROW WHEN (NEW.part > 1) EXECUTE FUNCTION reconciliation_matches_part_joins_group()`);

    // An exception changes only its state (the state machine says which way) and updated_at.
    await q.query(`
      CREATE FUNCTION reconciliation_exceptions_state_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (to_jsonb(NEW) - 'state' - 'updated_at') IS DISTINCT FROM (to_jsonb(OLD) - 'state' - 'updated_at') THEN
          RAISE EXCEPTION 'a reconciliation exception changes only its state' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER reconciliation_exceptions_state_only BEFORE UPDATE ON reconciliation_exceptions FOR EACH ROW EXECUTE FUNCTION reconciliation_exceptions_state_only()`);

    // An adjustment is approved once (approver, time, its ledger transaction set from NULL); nothing else changes.
    await q.query(`
      CREATE FUNCTION reconciliation_adjustments_approve_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (to_jsonb(NEW) - 'approved_by' - 'approved_at' - 'ledger_txn_id') IS DISTINCT FROM (to_jsonb(OLD) - 'approved_by' - 'approved_at' - 'ledger_txn_id')
           OR (OLD.approved_by IS NOT NULL AND (NEW.approved_by IS DISTINCT FROM OLD.approved_by OR NEW.approved_at IS DISTINCT FROM OLD.approved_at))
           OR (OLD.ledger_txn_id IS NOT NULL AND NEW.ledger_txn_id IS DISTINCT FROM OLD.ledger_txn_id) THEN
          RAISE EXCEPTION 'a reconciliation adjustment is approved once and never edited' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER reconciliation_adjustments_approve_once BEFORE UPDATE ON reconciliation_adjustments FOR EACH ROW EXECUTE FUNCTION reconciliation_adjustments_approve_once()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX settlement_instructions_account_executed_idx`);
    await q.query(`DROP INDEX bank_credits_account_value_date_idx`);
    await q.query(`DROP INDEX bank_credits_account_received_idx`);
    for (const t of ['reconciliation_account_days', 'reconciliation_matches', 'reconciliation_resolutions', 'reconciliation_adjustments', 'reconciliation_exceptions', 'reconciliation_runs']) {
      await q.query(`DROP TABLE ${t} CASCADE`);
    }
    for (const f of ['reconciliation_reject_change', 'reconciliation_matches_reverse_only', 'reconciliation_matches_part_joins_group', 'reconciliation_exceptions_state_only', 'reconciliation_adjustments_approve_once']) {
      await q.query(`DROP FUNCTION ${f}()`);
    }
  }
}
