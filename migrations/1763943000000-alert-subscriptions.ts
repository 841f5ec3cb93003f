import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 16: alert subscriptions. A regulator registers an endpoint for its districts; every new
 * alert of those districts is one delivery (unique per subscription and alert), sent as a signed
 * Standard Webhook by the same machinery as settlement instructions, every attempt recorded.
 * The signing secret is stored sealed with the bank secret key ring (as the banks' secrets).
 */
export class AlertSubscriptions1763943000000 implements MigrationInterface {
  name = 'AlertSubscriptions1763943000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alert_subscriptions (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_by      text NOT NULL,
        url             text NOT NULL,
        district_codes  text[] NOT NULL CHECK (cardinality(district_codes) BETWEEN 1 AND 50),
        sealed_secret   jsonb NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        disabled_at     timestamptz,
        disabled_reason text
      )`);
    await q.query(`CREATE INDEX alert_subscriptions_owner_idx ON alert_subscriptions (created_by, created_at DESC)`);
    await q.query(`
      CREATE TABLE alert_deliveries (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id  uuid NOT NULL REFERENCES alert_subscriptions(id),
        alert_id         uuid NOT NULL REFERENCES alerts(id),
        state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
        attempts         integer NOT NULL DEFAULT 0,
        last_attempt_at  timestamptz,
        next_attempt_at  timestamptz,
        dead_lettered_at timestamptz,
        created_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT alert_deliveries_once UNIQUE (subscription_id, alert_id)
      )`);
    await q.query(`
      CREATE TABLE alert_delivery_attempts (
        delivery_id  uuid NOT NULL REFERENCES alert_deliveries(id),
        attempt      integer NOT NULL,
        at           timestamptz NOT NULL DEFAULT now(),
        status_code  integer,
        error        text,
        latency_ms   integer NOT NULL,
        response     text
      )`);
    await q.query(`CREATE INDEX alert_delivery_attempts_delivery_idx ON alert_delivery_attempts (delivery_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alert_delivery_attempts`);
    await q.query(`DROP TABLE alert_deliveries`);
    await q.query(`DROP TABLE alert_subscriptions`);
  }
}
