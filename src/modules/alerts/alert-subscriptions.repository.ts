import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { SealedSecret } from '@modules/banks/secret-box';
import { WebhookAttempt } from '@modules/settlements/webhook-delivery';

export interface SubscriptionRow {
  id: string;
  created_by: string;
  url: string;
  district_codes: string[];
  sealed_secret: SealedSecret;
  created_at: Date;
  disabled_at: Date | null;
  disabled_reason: string | null;
}

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  alert_id: string;
  state: 'pending' | 'delivered';
  attempts: number;
  dead_lettered_at: Date | null;
}

const SUB = `id, created_by, url, district_codes, sealed_secret, created_at, disabled_at, disabled_reason`;

/** The SQL of alert subscriptions and their deliveries (tables of the alerts module). */
@Injectable()
export class AlertSubscriptionsRepository {
  async create(m: EntityManager, id: string, createdBy: string, url: string, districtCodes: string[], sealed: SealedSecret): Promise<SubscriptionRow> {
    const [row]: SubscriptionRow[] = await m.query(
      `INSERT INTO alert_subscriptions (id, created_by, url, district_codes, sealed_secret) VALUES ($1, $2, $3, $4, $5) RETURNING ${SUB}`,
      [id, createdBy, url, districtCodes, JSON.stringify(sealed)],
    );
    return row;
  }

  list(m: EntityManager, createdBy: string | null): Promise<SubscriptionRow[]> {
    return m.query(`SELECT ${SUB} FROM alert_subscriptions WHERE $1::text IS NULL OR created_by = $1 ORDER BY created_at DESC LIMIT 500`, [createdBy]);
  }

  async get(m: EntityManager, id: string): Promise<SubscriptionRow | null> {
    const rows: SubscriptionRow[] = await m.query(`SELECT ${SUB} FROM alert_subscriptions WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async disable(m: EntityManager, id: string, reason: string): Promise<void> {
    await m.query(`UPDATE alert_subscriptions SET disabled_at = coalesce(disabled_at, now()), disabled_reason = coalesce(disabled_reason, $2) WHERE id = $1`, [id, reason]);
  }

  /** One delivery per active subscription covering each alert's district; returns the new ones. */
  createDeliveries(m: EntityManager, alertIds: string[]): Promise<{ id: string }[]> {
    return m.query(
      `INSERT INTO alert_deliveries (subscription_id, alert_id)
       SELECT s.id, a.id FROM alerts a JOIN alert_subscriptions s
           ON s.disabled_at IS NULL
          AND EXISTS (SELECT 1 FROM unnest(s.district_codes) c
                       WHERE a.district_code LIKE CASE WHEN c LIKE '%0000' THEN left(c, 2) || '%' WHEN c LIKE '%00' THEN left(c, 4) || '%' ELSE c END)
        WHERE a.id = ANY($1::uuid[])
       ON CONFLICT ON CONSTRAINT alert_deliveries_once DO NOTHING
       RETURNING id`,
      [alertIds],
    );
  }

  async delivery(m: EntityManager, id: string): Promise<(DeliveryRow & { url: string; sealed_secret: SealedSecret; disabled_at: Date | null }) | null> {
    const rows = await m.query(
      `SELECT d.id, d.subscription_id, d.alert_id, d.state, d.attempts, d.dead_lettered_at, s.url, s.sealed_secret, s.disabled_at
         FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async recordAttempt(m: EntityManager, id: string, accepted: boolean, a: WebhookAttempt): Promise<void> {
    await m.query(
      `WITH logged AS (
         INSERT INTO alert_delivery_attempts (delivery_id, attempt, status_code, error, latency_ms, response) VALUES ($1, $3, $4, $5, $6, $7))
       UPDATE alert_deliveries SET attempts = attempts + 1, last_attempt_at = now(), state = CASE WHEN $2 THEN 'delivered' ELSE state END WHERE id = $1`,
      [id, accepted, a.attempt, a.statusCode, a.error, a.latencyMs, a.response],
    );
  }

  async scheduleNext(m: EntityManager, id: string, delayMs: number): Promise<void> {
    await m.query(`UPDATE alert_deliveries SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1`, [id, delayMs]);
  }

  async deadLetter(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE alert_deliveries SET dead_lettered_at = now(), next_attempt_at = NULL WHERE id = $1`, [id]);
  }

  attempts(m: EntityManager, deliveryId: string): Promise<{ attempt: number; status_code: number | null; error: string | null }[]> {
    return m.query(`SELECT attempt, status_code, error FROM alert_delivery_attempts WHERE delivery_id = $1 ORDER BY at, attempt`, [deliveryId]);
  }
}
