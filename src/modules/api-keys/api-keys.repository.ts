import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Role } from '@common/auth/principal';

/** An API key as stored, without its hash (only authentication compares the hash, in SQL). */
export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  districts: string[];
  institutionId: string | null;
  bankCode: string | null;
  keyPrefix: string;
  createdBy: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

export type NewApiKey = Omit<ApiKey, 'id' | 'createdAt' | 'revokedAt'> & { keyHash: Buffer };

interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  districts: string[];
  institution_id: string | null;
  bank_code: string | null;
  key_prefix: string;
  created_by: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = `id, name, role, districts, institution_id, bank_code, key_prefix, created_by, created_at, revoked_at`;

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  role: r.role,
  districts: r.districts,
  institutionId: r.institution_id,
  bankCode: r.bank_code,
  keyPrefix: r.key_prefix,
  createdBy: r.created_by,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

@Injectable()
export class ApiKeysRepository {
  async insert(m: EntityManager, k: NewApiKey): Promise<ApiKey> {
    const rows: ApiKeyRow[] = await m.query(
      `INSERT INTO api_keys (name, role, districts, institution_id, bank_code, key_prefix, key_hash, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [k.name, k.role, k.districts, k.institutionId, k.bankCode, k.keyPrefix, k.keyHash, k.createdBy],
    );
    return toApiKey(rows[0]);
  }

  async findActiveByHash(m: EntityManager, hash: Buffer): Promise<ApiKey | null> {
    const rows: ApiKeyRow[] = await m.query(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [hash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async listAll(m: EntityManager): Promise<ApiKey[]> {
    const rows: ApiKeyRow[] = await m.query(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at`);
    return rows.map(toApiKey);
  }

  async findById(m: EntityManager, id: string): Promise<ApiKey | null> {
    const rows: ApiKeyRow[] = await m.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async markRevoked(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
  }

  async count(m: EntityManager): Promise<number> {
    const rows: { n: number }[] = await m.query(`SELECT count(*)::int AS n FROM api_keys`);
    return rows[0].n;
  }
}
