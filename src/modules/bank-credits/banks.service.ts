import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';

export interface BankRow {
  code: string;
  name: string;
  webhook_url: string | null;
  secrets: string[];
}

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Custody banks and their Standard Webhooks signing secrets. Secrets rotate with an overlap:
 * a new one is added, both verify until the old one is retired.
 */
@Injectable()
export class BanksService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async register(code: string, name: string, webhookUrl: string | null): Promise<{ bank: BankRow; secret: string }> {
    const secret = newWebhookSecret();
    const rows: BankRow[] = await this.ds.query(
      `INSERT INTO banks (code, name, webhook_url, secrets) VALUES ($1, $2, $3, ARRAY[$4]) ON CONFLICT (code) DO NOTHING RETURNING *`,
      [code, name, webhookUrl, secret],
    );
    if (!rows[0]) throw new DomainError('CONFLICT', `Bank ${code} is already registered`);
    return { bank: rows[0], secret };
  }

  async rotate(code: string): Promise<{ bank: BankRow; secret: string }> {
    const secret = newWebhookSecret();
    const rows: [BankRow[], number] = await this.ds.query(
      `UPDATE banks SET secrets = array_append(secrets, $2), updated_at = now() WHERE code = $1 RETURNING *`,
      [code, secret],
    );
    if (!rows[0][0]) throw new DomainError('BANK_NOT_FOUND', `Bank ${code} not found`);
    return { bank: rows[0][0], secret };
  }

  /** Retires the oldest secret once the bank signs with the new one. */
  async retireOldest(code: string): Promise<BankRow> {
    const rows: [BankRow[], number] = await this.ds.query(
      `UPDATE banks SET secrets = secrets[2:], updated_at = now() WHERE code = $1 AND cardinality(secrets) > 1 RETURNING *`,
      [code],
    );
    if (!rows[0][0]) throw new DomainError('CONFLICT', `Bank ${code} not found or has a single secret left`);
    return rows[0][0];
  }

  async find(code: string): Promise<BankRow | null> {
    const rows: BankRow[] = await this.ds.query(`SELECT * FROM banks WHERE code = $1`, [code]);
    return rows[0] ?? null;
  }

  /**
   * Verifies a Standard Webhooks signature (HMAC-SHA256, 5-minute tolerance) with any of the
   * bank's current secrets. Anything else is 401 and nothing happens.
   */
  async verify(bankCode: string, rawBody: Buffer | undefined, headers: Record<string, string | string[] | undefined>): Promise<void> {
    const bank = await this.find(bankCode);
    const h = {
      'webhook-id': String(headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(headers['webhook-signature'] ?? ''),
    };
    if (!bank || !rawBody || !h['webhook-id'] || !h['webhook-signature']) {
      throw new DomainError('INVALID_SIGNATURE', 'Missing or unknown webhook signature');
    }
    for (const secret of bank.secrets) {
      try {
        new Webhook(secret).verify(rawBody, h);
        return;
      } catch {
        /* try the next secret */
      }
    }
    throw new DomainError('INVALID_SIGNATURE', 'The webhook signature does not verify (or its timestamp is outside 5 minutes)');
  }
}
