import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16: risk alerts. One row per alert; `condition_key` names the condition (an institution's
 * balance below its floor, its outflow on one day, one movement, one supervision event). The
 * partial unique index keeps one alert open (or acknowledged) per condition, whoever evaluates
 * at the same time. States open → acknowledged → resolved, each with who, when and why.
 */
export class Alerts1763941000000 implements MigrationInterface {
  name = 'Alerts1763941000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type                text NOT NULL CHECK (type ~ '^[A-Z][A-Z_]{1,59}$'),
        severity            text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        state               text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
        institution_id      uuid NOT NULL REFERENCES institutions(id),
        district_code       char(6) NOT NULL,
        condition_key       text NOT NULL,
        figures             jsonb NOT NULL DEFAULT '{}',
        policy_code         char(6),
        policy_version      integer,
        source_event_id     uuid,
        opened_at           timestamptz NOT NULL DEFAULT now(),
        acknowledged_at     timestamptz,
        acknowledged_by     text,
        acknowledge_reason  text,
        resolved_at         timestamptz,
        resolved_by         text,
        resolve_reason      text,
        CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL) AND (acknowledged_at IS NULL) = (acknowledge_reason IS NULL)),
        CHECK ((resolved_at IS NULL) = (resolved_by IS NULL) AND (resolved_at IS NULL) = (resolve_reason IS NULL)),
        CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
        CHECK (state <> 'acknowledged' OR acknowledged_at IS NOT NULL)
      )`);
    await q.query(`CREATE UNIQUE INDEX alerts_open_condition_key ON alerts (condition_key) WHERE state <> 'resolved'`);
    await q.query(`CREATE INDEX alerts_condition_idx ON alerts (condition_key)`);
    await q.query(`CREATE INDEX alerts_district_idx ON alerts (district_code, opened_at DESC, id DESC)`);
    await q.query(`CREATE INDEX alerts_institution_open_idx ON alerts (institution_id) WHERE state <> 'resolved'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alerts`);
  }
}
