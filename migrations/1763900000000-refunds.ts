import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds (issue 14). A contract now also keeps the refund terms of its policy version: how many
 * working days the institution has to answer a request, and within how many days the payer is
 * paid before and after the start. Existing contracts get them from their policy version (the
 * defaults 5 / 5 / 15 where a version predates the fields); like the other terms they are fixed.
 *
 * `refunds` holds one row per request with the computation the payer can check and the decision
 * trail. At most one open request (requested or contested) per contract, and at most one approved
 * refund per contract: the second request, or a duplicate racing the first, hits the unique index.
 */
export class Refunds1763900000000 implements MigrationInterface {
  name = 'Refunds1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contracts ADD COLUMN refund_response_working_days integer, ADD COLUMN refund_days_before_start integer,
                     ADD COLUMN refund_days_after_start integer`);
    await q.query(`
      UPDATE contracts c SET refund_response_working_days = COALESCE((p.rules->>'refundResponseWorkingDays')::int, 5),
             refund_days_before_start = COALESCE((p.rules->>'refundDeadlineBeforeStartDays')::int, 5),
             refund_days_after_start = COALESCE((p.rules->>'refundDeadlineAfterStartDays')::int, 15)
        FROM jurisdiction_policies p WHERE p.id = c.policy_id`);
    await q.query(`
      ALTER TABLE contracts ALTER COLUMN refund_response_working_days SET NOT NULL, ALTER COLUMN refund_days_before_start SET NOT NULL,
        ALTER COLUMN refund_days_after_start SET NOT NULL,
        ADD CONSTRAINT contracts_refund_terms_check CHECK (refund_response_working_days >= 0 AND refund_days_before_start >= 0 AND refund_days_after_start >= 0)`);
    // The same rule as the other signed terms (reject_contract_terms_change from 1763854000000).
    await q.query(`
      CREATE TRIGGER contracts_refund_terms_fixed BEFORE UPDATE OF refund_response_working_days, refund_days_before_start, refund_days_after_start ON contracts
        FOR EACH ROW WHEN (OLD.refund_response_working_days IS DISTINCT FROM NEW.refund_response_working_days
          OR OLD.refund_days_before_start IS DISTINCT FROM NEW.refund_days_before_start OR OLD.refund_days_after_start IS DISTINCT FROM NEW.refund_days_after_start)
        EXECUTE FUNCTION reject_contract_terms_change()`);
    await q.query(`
      CREATE TABLE refunds (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contract_id           uuid NOT NULL REFERENCES contracts(id),
        institution_id        uuid NOT NULL REFERENCES institutions(id),
        escrow_account_id     uuid NOT NULL REFERENCES escrow_accounts(id),
        district_code         char(6) NOT NULL,
        currency              char(3) NOT NULL,
        state                 text NOT NULL CHECK (state IN ('requested', 'contested', 'approved', 'refused', 'paid', 'failed')),
        reason                text NOT NULL,
        requested_by          text NOT NULL,
        respond_by            date NOT NULL,
        phase                 text NOT NULL CHECK (phase IN ('before_start', 'after_start')),
        lessons               integer NOT NULL,
        lessons_consumed      integer NOT NULL,
        consumed_amount       numeric(18,2) NOT NULL,
        paid_in               numeric(18,2) NOT NULL,
        computed_amount       numeric(18,2) NOT NULL CHECK (computed_amount >= 0),
        amount                numeric(18,2) CHECK (amount > 0),
        contest_reason        text,
        decision              text CHECK (decision IN ('full', 'partial', 'refuse')),
        decision_reason       text,
        decided_by            text,
        approval              text CHECK (approval IN ('institution', 'deemed', 'regulator', 'admin')),
        approved_at           timestamptz,
        pay_by                date,
        payee_bank            text,
        payee_account_number  text NOT NULL,
        payee_account_name    text,
        movement_id           uuid REFERENCES settlement_instructions(id),
        overdue_at            timestamptz,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        CHECK ((state IN ('approved', 'paid', 'failed')) = (amount IS NOT NULL AND approved_at IS NOT NULL AND pay_by IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX refunds_one_open_idx ON refunds (contract_id) WHERE state IN ('requested', 'contested')`);
    await q.query(`CREATE UNIQUE INDEX refunds_one_approved_idx ON refunds (contract_id) WHERE state IN ('approved', 'paid', 'failed')`);
    await q.query(`CREATE INDEX refunds_institution_idx ON refunds (institution_id, created_at)`);
    await q.query(`CREATE INDEX refunds_respond_by_idx ON refunds (respond_by) WHERE state = 'requested'`);
    await q.query(`CREATE INDEX refunds_pay_by_idx ON refunds (pay_by) WHERE state IN ('approved', 'failed') AND overdue_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX refunds_movement_idx ON refunds (movement_id) WHERE movement_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refunds`);
    await q.query(`DROP TRIGGER contracts_refund_terms_fixed ON contracts`);
    await q.query(`ALTER TABLE contracts DROP CONSTRAINT contracts_refund_terms_check,
                     DROP COLUMN refund_response_working_days, DROP COLUMN refund_days_before_start, DROP COLUMN refund_days_after_start`);
  }
}
