import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16: the action log. One append-only row per mutating call of an admin, a regulator, an
 * institution or a bank (who, role, scope, method, route, target, request id, outcome), chained
 * like the ledger: a BEFORE INSERT trigger links each row into one of 16 chains (chosen at random
 * per row) and computes its hash in the statement that writes it. Each row is written in its own
 * short transaction, so a chain head is locked for one statement and its commit only.
 */
export class ActionLog1763942000000 implements MigrationInterface {
  name = 'ActionLog1763942000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE action_log (
        id              bigserial PRIMARY KEY,
        at              timestamptz NOT NULL DEFAULT now(),
        actor_id        text NOT NULL,
        role            text NOT NULL CHECK (role IN ('admin', 'regulator', 'institution', 'bank')),
        scope           text NOT NULL,
        method          text NOT NULL CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
        route           text NOT NULL,
        target          text,
        request_id      text NOT NULL,
        status          smallint NOT NULL,
        district_code   char(6),
        institution_id  uuid,
        chain           smallint NOT NULL DEFAULT 0,
        chain_seq       bigint NOT NULL DEFAULT 0,
        prev_hash       bytea,
        hash            bytea
      )`);
    await q.query(`CREATE INDEX action_log_district_idx ON action_log (district_code, id DESC)`);
    await q.query(`CREATE INDEX action_log_institution_idx ON action_log (institution_id, id DESC)`);
    await q.query(`
      CREATE TABLE action_log_heads (
        chain      smallint PRIMARY KEY CHECK (chain BETWEEN 0 AND 15),
        seq        bigint NOT NULL DEFAULT 0,
        prev_hash  bytea NOT NULL,
        last_hash  bytea NOT NULL,
        last_id    bigint
      ) WITH (fillfactor = 50)`);
    await q.query(`
      INSERT INTO action_log_heads (chain, prev_hash, last_hash)
      SELECT c, sha256(convert_to('escrow-supervision action log chain ' || c::text, 'UTF8')), sha256(convert_to('escrow-supervision action log chain ' || c::text, 'UTF8'))
        FROM generate_series(0, 15) c`);
    await q.query(`
      CREATE FUNCTION action_log_digest(p_prev bytea, r action_log) RETURNS bytea LANGUAGE sql IMMUTABLE AS $f$
        SELECT sha256(p_prev || convert_to(jsonb_build_array(r.chain, r.chain_seq, r.id, to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          r.actor_id, r.role, r.scope, r.method, r.route, r.target, r.request_id, r.status, r.district_code, r.institution_id)::text, 'UTF8'))
      $f$`);
    // The head is locked (FOR UPDATE) by the insert that extends its chain, until that insert commits.
    await q.query(`
      CREATE FUNCTION action_log_chain() RETURNS trigger LANGUAGE plpgsql AS $f$
      DECLARE h record;
      BEGIN
        NEW.chain := floor(random() * 16)::smallint;
        SELECT seq, last_hash INTO h FROM action_log_heads WHERE chain = NEW.chain FOR UPDATE;
        NEW.chain_seq := h.seq + 1;
        NEW.prev_hash := h.last_hash;
        NEW.hash := action_log_digest(h.last_hash, NEW);
        UPDATE action_log_heads SET seq = NEW.chain_seq, prev_hash = h.last_hash, last_hash = NEW.hash, last_id = NEW.id WHERE chain = NEW.chain;
        RETURN NEW;
      END $f$`);
    await q.query(`CREATE TRIGGER action_log_chain BEFORE INSERT ON action_log FOR EACH ROW EXECUTE FUNCTION action_log_chain()`);
    await q.query(`
      CREATE FUNCTION action_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        RAISE EXCEPTION 'action log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $f$`);
    await q.query(`CREATE TRIGGER action_log_no_update_delete BEFORE UPDATE OR DELETE ON action_log FOR EACH ROW EXECUTE FUNCTION action_log_reject_change()`);
    await q.query(`CREATE TRIGGER action_log_no_truncate BEFORE TRUNCATE ON action_log FOR EACH STATEMENT EXECUTE FUNCTION action_log_reject_change()`);
    await q.query(`CREATE UNIQUE INDEX action_log_chain_key ON action_log (chain, chain_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION action_log_digest(bytea, action_log)`);
    await q.query(`DROP TABLE action_log`);
    await q.query(`DROP TABLE action_log_heads`);
    await q.query(`DROP FUNCTION action_log_chain()`);
    await q.query(`DROP FUNCTION action_log_reject_change()`);
  }
}
