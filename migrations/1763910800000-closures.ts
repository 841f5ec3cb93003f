import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Closures, first part (issue 14): an immediate closure refunds every open contract of the
 * institution in a queued, resumable job. `closure_contracts` records each contract's outcome
 * once (its primary key), in the same transaction as its refund, so a worker killed in the middle
 * leaves every contract refunded exactly once and the next run continues where it stopped.
 */
export class Closures1763910800000 implements MigrationInterface {
  name = 'Closures1763910800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE closures (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        institution_id  uuid NOT NULL REFERENCES institutions(id) CONSTRAINT closures_institution_key UNIQUE,
        district_code   char(6) NOT NULL,
        kind            text NOT NULL CHECK (kind IN ('immediate')),
        reason          text NOT NULL,
        state           text NOT NULL CHECK (state IN ('refunding', 'refunds_done')),
        opened_by       text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        refunds_done_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE closure_contracts (
        closure_id    uuid NOT NULL REFERENCES closures(id),
        contract_id   uuid NOT NULL REFERENCES contracts(id),
        outcome       text NOT NULL CHECK (outcome IN ('refunded', 'owed', 'nothing')),
        amount        numeric(18,2) NOT NULL CHECK (amount >= 0),
        refund_id     uuid REFERENCES refunds(id),
        note          text,
        processed_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (closure_id, contract_id),
        CHECK ((outcome = 'refunded') = (refund_id IS NOT NULL))
      )`);
    await q.query(`CREATE TRIGGER closure_contracts_append_only BEFORE UPDATE OR DELETE ON closure_contracts FOR EACH ROW EXECUTE FUNCTION reject_history_change()`);
    await q.query(`ALTER TABLE refunds DROP CONSTRAINT refunds_approval_check,
                     ADD CONSTRAINT refunds_approval_check CHECK (approval IN ('institution', 'deemed', 'regulator', 'admin', 'closure'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refunds DROP CONSTRAINT refunds_approval_check,
                     ADD CONSTRAINT refunds_approval_check CHECK (approval IN ('institution', 'deemed', 'regulator', 'admin'))`);
    await q.query(`DROP TABLE closure_contracts`);
    await q.query(`DROP TABLE closures`);
  }
}
