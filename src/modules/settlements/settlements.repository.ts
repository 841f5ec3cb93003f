import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** The only writer of `bank_webhook_receipts` (the delivery attempts are the movement's record: money-movements). */
@Injectable()
export class SettlementsRepository {
  /** The answer given to a bank webhook already processed (the bank retried it), if any. */
  async receipt(m: EntityManager, bankCode: string, webhookId: string): Promise<Record<string, unknown> | null> {
    const rows: { response: Record<string, unknown> }[] = await m.query(`SELECT response FROM bank_webhook_receipts WHERE bank_code = $1 AND webhook_id = $2`, [bankCode, webhookId]);
    return rows[0]?.response ?? null;
  }

  async saveReceipt(m: EntityManager, bankCode: string, webhookId: string, response: Record<string, unknown>): Promise<void> {
    await m.query(`INSERT INTO bank_webhook_receipts (bank_code, webhook_id, response) VALUES ($1, $2, $3)`, [bankCode, webhookId, JSON.stringify(response)]);
  }
}
