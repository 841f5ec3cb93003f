import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface DeliveryAttemptRow {
  attempt: number;
  at: Date;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response: string | null;
}

export interface NewDeliveryAttempt {
  instructionId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  response: string | null;
}

/** The only writer of `settlement_delivery_attempts` and `bank_webhook_receipts`. */
@Injectable()
export class SettlementsRepository {
  async recordAttempt(m: EntityManager, a: NewDeliveryAttempt): Promise<void> {
    await m.query(`INSERT INTO settlement_delivery_attempts (instruction_id, attempt, status_code, error, latency_ms, response) VALUES ($1, $2, $3, $4, $5, $6)`, [
      a.instructionId,
      a.attempt,
      a.statusCode,
      a.error,
      a.latencyMs,
      a.response,
    ]);
  }

  attempts(m: EntityManager, instructionId: string): Promise<DeliveryAttemptRow[]> {
    return m.query(`SELECT attempt, at, status_code, error, latency_ms, response FROM settlement_delivery_attempts WHERE instruction_id = $1 ORDER BY id`, [instructionId]);
  }

  /** The answer given to a bank webhook already processed (the bank retried it), if any. */
  async receipt(m: EntityManager, bankCode: string, webhookId: string): Promise<Record<string, unknown> | null> {
    const rows: { response: Record<string, unknown> }[] = await m.query(`SELECT response FROM bank_webhook_receipts WHERE bank_code = $1 AND webhook_id = $2`, [bankCode, webhookId]);
    return rows[0]?.response ?? null;
  }

  async saveReceipt(m: EntityManager, bankCode: string, webhookId: string, response: Record<string, unknown>): Promise<void> {
    await m.query(`INSERT INTO bank_webhook_receipts (bank_code, webhook_id, response) VALUES ($1, $2, $3)`, [bankCode, webhookId, JSON.stringify(response)]);
  }
}
