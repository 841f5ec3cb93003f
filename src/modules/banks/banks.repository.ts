import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import { SealedSecret } from './secret-box';

/** A sealed signing secret with when it was added (null: added before secrets were sealed). */
export interface StoredSecret extends SealedSecret {
  createdAt: string | null;
}

export interface BankRow {
  code: string;
  name: string;
  webhook_url: string | null;
  /** Plaintext secrets of a row written before sealing; emptied by the first boot that seals them. */
  legacy_secrets: string[] | null;
  sealed_secrets: StoredSecret[];
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export type BankAction = 'registered' | 'secret_added' | 'secret_retired' | 'updated' | 'disabled' | 'enabled' | 'secrets_sealed' | 'secrets_resealed';

export interface BankEventRow {
  action: BankAction;
  actor_id: string | null;
  details: Record<string, unknown>;
  at: Date;
}

const COLUMNS = `code, name, webhook_url, secrets AS legacy_secrets, sealed_secrets, disabled_at, disabled_reason, created_at, updated_at`;

/** The only SQL on `banks` and `bank_events`. */
@Injectable()
export class BanksRepository {
  async insert(m: EntityManager, code: string, name: string, webhookUrl: string | null, secrets: StoredSecret[]): Promise<BankRow | null> {
    const rows: BankRow[] = await m.query(
      `INSERT INTO banks (code, name, webhook_url, sealed_secrets) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (code) DO NOTHING RETURNING ${COLUMNS}`,
      [code, name, webhookUrl, JSON.stringify(secrets)],
    );
    return rows[0] ?? null;
  }

  async find(m: EntityManager, code: string): Promise<BankRow | null> {
    const rows: BankRow[] = await m.query(`SELECT ${COLUMNS} FROM banks WHERE code = $1`, [code]);
    return rows[0] ?? null;
  }

  async findForUpdate(m: EntityManager, code: string): Promise<BankRow | null> {
    const rows: BankRow[] = await m.query(`SELECT ${COLUMNS} FROM banks WHERE code = $1 FOR UPDATE`, [code]);
    return rows[0] ?? null;
  }

  findManyForUpdate(m: EntityManager, codes: string[]): Promise<BankRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM banks WHERE code = ANY($1::text[]) ORDER BY code FOR UPDATE`, [codes]);
  }

  list(m: EntityManager): Promise<BankRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM banks ORDER BY code`);
  }

  async exists(m: EntityManager, code: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM banks WHERE code = $1`, [code]);
    return rows.length > 0;
  }

  /** Replaces the secrets with sealed ones (and drops any plaintext left from before sealing). */
  async setSecrets(m: EntityManager, code: string, secrets: StoredSecret[]): Promise<BankRow> {
    const rows = rowsOf<BankRow>(
      await m.query(`UPDATE banks SET secrets = NULL, sealed_secrets = $2::jsonb, updated_at = now() WHERE code = $1 RETURNING ${COLUMNS}`, [
        code,
        JSON.stringify(secrets),
      ]),
    );
    return rows[0];
  }

  async updateSettings(m: EntityManager, code: string, name: string, webhookUrl: string | null): Promise<BankRow> {
    const rows = rowsOf<BankRow>(
      await m.query(`UPDATE banks SET name = $2, webhook_url = $3, updated_at = now() WHERE code = $1 RETURNING ${COLUMNS}`, [code, name, webhookUrl]),
    );
    return rows[0];
  }

  /** True when this call disabled it (it was enabled). */
  async disable(m: EntityManager, code: string, reason: string): Promise<boolean> {
    const rows = rowsOf(
      await m.query(`UPDATE banks SET disabled_at = now(), disabled_reason = $2, updated_at = now() WHERE code = $1 AND disabled_at IS NULL RETURNING code`, [
        code,
        reason,
      ]),
    );
    return rows.length === 1;
  }

  /** True when this call enabled it (it was disabled). */
  async enable(m: EntityManager, code: string): Promise<boolean> {
    const rows = rowsOf(
      await m.query(`UPDATE banks SET disabled_at = NULL, disabled_reason = NULL, updated_at = now() WHERE code = $1 AND disabled_at IS NOT NULL RETURNING code`, [
        code,
      ]),
    );
    return rows.length === 1;
  }

  async recordEvent(m: EntityManager, code: string, action: BankAction, actor: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await m.query(`INSERT INTO bank_events (bank_code, action, actor_id, details) VALUES ($1, $2, $3, $4::jsonb)`, [code, action, actor, JSON.stringify(details)]);
  }

  events(m: EntityManager, code: string): Promise<BankEventRow[]> {
    return m.query(`SELECT action, actor_id, details, at FROM bank_events WHERE bank_code = $1 ORDER BY id`, [code]);
  }
}
