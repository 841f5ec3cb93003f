import { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys, idempotency keys, the transactional outbox, job de-duplication and the queue canary. */
export class Foundation1763800000000 implements MigrationInterface {
  name = 'Foundation1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name            text NOT NULL,
        role            text NOT NULL CHECK (role IN ('admin', 'regulator', 'institution', 'bank')),
        districts       text[] NOT NULL DEFAULT '{}',
        institution_id  uuid,
        bank_code       text,
        key_prefix      text NOT NULL,
        key_hash        bytea NOT NULL UNIQUE,
        created_by      uuid,
        created_at      timestamptz NOT NULL DEFAULT now(),
        revoked_at      timestamptz,
        CONSTRAINT api_keys_scope_chk CHECK (
          (role = 'admin') OR
          (role = 'regulator' AND cardinality(districts) > 0) OR
          (role = 'institution' AND institution_id IS NOT NULL) OR
          (role = 'bank' AND bank_code IS NOT NULL)
        )
      )`);
    await q.query(`
      CREATE TABLE idempotency_keys (
        principal_id     text NOT NULL,
        idem_key         text NOT NULL,
        request_method   text NOT NULL,
        request_path     text NOT NULL,
        request_hash     text NOT NULL,
        state            text NOT NULL CHECK (state IN ('in_progress', 'completed')),
        response_status  integer,
        response_body    jsonb,
        created_at       timestamptz NOT NULL DEFAULT now(),
        locked_at        timestamptz NOT NULL DEFAULT now(),
        expires_at       timestamptz NOT NULL,
        PRIMARY KEY (principal_id, idem_key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`);
    await q.query(`
      CREATE TABLE outbox (
        id           bigserial PRIMARY KEY,
        queue_name   text NOT NULL,
        job_name     text NOT NULL,
        job_id       text NOT NULL UNIQUE,
        payload      jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        relayed_at   timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL`);
    await q.query(`
      CREATE TABLE job_executions (
        job_key      text PRIMARY KEY,
        job_name     text NOT NULL,
        executed_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE queue_probes (
        id           uuid PRIMARY KEY,
        requested_by uuid,
        requested_at timestamptz NOT NULL DEFAULT now(),
        hold_ms      integer NOT NULL DEFAULT 0,
        processed_at timestamptz,
        attempts     integer NOT NULL DEFAULT 0,
        effects      integer NOT NULL DEFAULT 0
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE queue_probes`);
    await q.query(`DROP TABLE job_executions`);
    await q.query(`DROP TABLE outbox`);
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE api_keys`);
  }
}
