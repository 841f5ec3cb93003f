import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PolicyRules } from './policy-rules';

export interface PolicyRow {
  id: string;
  code: string;
  version: number;
  effective_from: string;
  rules: PolicyRules;
  note: string | null;
  published_at: Date;
}

const COLUMNS = `id, code, version, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, rules, note, published_at`;

@Injectable()
export class PoliciesRepository {
  /** The next version number for a code; the row lock on the advisory key serialises publishers. */
  async insertNextVersion(m: EntityManager, code: string, effectiveFrom: string, rules: unknown, note: string | null, actor: string): Promise<PolicyRow> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('policy:' || $1))`, [code]);
    const rows: PolicyRow[] = await m.query(
      `INSERT INTO jurisdiction_policies (code, version, effective_from, rules, note, published_by)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM jurisdiction_policies WHERE code = $1
       RETURNING ${COLUMNS}`,
      [code, effectiveFrom, JSON.stringify(rules), note, actor],
    );
    return rows[0];
  }

  versions(m: EntityManager, code: string): Promise<PolicyRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM jurisdiction_policies WHERE code = $1 ORDER BY version`, [code]);
  }

  /** The version in force on `date` for the most specific code of the chain that has one. */
  async resolve(m: EntityManager, chain: string[], date: string): Promise<PolicyRow | null> {
    const rows: PolicyRow[] = await m.query(
      `SELECT ${COLUMNS} FROM jurisdiction_policies
        WHERE code = ANY($1::text[]) AND effective_from <= $2::date
        ORDER BY array_position($1::text[], code::text), effective_from DESC, version DESC LIMIT 1`,
      [chain, date],
    );
    return rows[0] ?? null;
  }

  async findById(m: EntityManager, id: string): Promise<PolicyRow | null> {
    const rows: PolicyRow[] = await m.query(`SELECT ${COLUMNS} FROM jurisdiction_policies WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }
}
