import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['bank_statement_files', 'bank_statement_file_chunks', 'bank_statements', 'bank_statement_entries'];

/**
 * Bank statements (issue 13, "Statements in"), owned by the statements module. The raw file is
 * kept as received (in 1 MiB chunks, so neither side holds a 200 MB parameter) with its SHA-256;
 * statements and their entries as parsed, amounts numeric(18,2). Everything is append-only,
 * enforced by triggers as for the ledger: a corrected statement is a new row that names the one it
 * supersedes (one successor at most, by a unique key), never an edit.
 */
export class BankStatements1763864800000 implements MigrationInterface {
  name = 'BankStatements1763864800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bank_statement_files (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        bank_code    text NOT NULL REFERENCES banks(code),
        sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        format       text NOT NULL CHECK (format IN ('camt053', 'mt940', 'csv')),
        byte_size    bigint NOT NULL CHECK (byte_size > 0),
        chunks       integer NOT NULL CHECK (chunks > 0),
        received_by  text NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT bank_statement_files_bank_sha_key UNIQUE (bank_code, sha256)
      )`);
    await q.query(`
      CREATE TABLE bank_statement_file_chunks (
        file_id  uuid NOT NULL REFERENCES bank_statement_files(id),
        seq      integer NOT NULL CHECK (seq >= 0),
        bytes    bytea NOT NULL,
        PRIMARY KEY (file_id, seq)
      )`);
    await q.query(`
      CREATE TABLE bank_statements (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        file_id            uuid NOT NULL REFERENCES bank_statement_files(id),
        position           integer NOT NULL CHECK (position >= 1),
        bank_code          text NOT NULL,
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        account_number     text NOT NULL,
        currency           char(3) NOT NULL,
        format             text NOT NULL,
        version            text,
        reference          text NOT NULL,
        sequence           text,
        page               integer NOT NULL DEFAULT 1,
        statement_date     date NOT NULL,
        opening_balance    numeric(18,2) NOT NULL,
        opening_date       date,
        closing_balance    numeric(18,2) NOT NULL,
        closing_date       date,
        credits            numeric(18,2) NOT NULL CHECK (credits >= 0),
        debits             numeric(18,2) NOT NULL CHECK (debits >= 0),
        computed_closing   numeric(18,2) NOT NULL,
        entry_count        integer NOT NULL CHECK (entry_count >= 0),
        consistent         boolean NOT NULL,
        flag               text CHECK (flag IN ('STATEMENT_INCONSISTENT')),
        info               text,
        supersedes_id      uuid REFERENCES bank_statements(id),
        created_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT bank_statements_file_position_key UNIQUE (file_id, position),
        CONSTRAINT bank_statements_one_successor UNIQUE (supersedes_id),
        CONSTRAINT bank_statements_flag_iff_inconsistent CHECK ((flag IS NULL) = consistent)
      )`);
    await q.query(`CREATE INDEX bank_statements_account_day_idx ON bank_statements (escrow_account_id, statement_date, page)`);
    await q.query(`
      CREATE TABLE bank_statement_entries (
        statement_id       uuid NOT NULL REFERENCES bank_statements(id) DEFERRABLE INITIALLY DEFERRED,
        line               integer NOT NULL CHECK (line >= 1),
        amount             numeric(18,2) NOT NULL CHECK (amount >= 0),
        direction          text NOT NULL CHECK (direction IN ('CRDT', 'DBIT')),
        reversal           boolean NOT NULL,
        status             text NOT NULL,
        booking_date       date,
        value_date         date,
        bank_reference     text,
        customer_reference text,
        end_to_end_id      text,
        transaction_id     text,
        transaction_code   text,
        details            text,
        transactions       jsonb NOT NULL DEFAULT '[]',
        PRIMARY KEY (statement_id, line)
      )`);
    await q.query(`CREATE INDEX bank_statement_entries_e2e_idx ON bank_statement_entries (end_to_end_id) WHERE end_to_end_id IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION bank_statements_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'bank statements are append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const t of TABLES) {
      await q.query(`CREATE TRIGGER ${t}_no_update_delete BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION bank_statements_reject_change()`);
      await q.query(`CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION bank_statements_reject_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [...TABLES].reverse()) await q.query(`DROP TABLE ${t}`);
    await q.query(`DROP FUNCTION bank_statements_reject_change()`);
  }
}
