import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';

export type InstitutionCategory = 'subject' | 'non_subject';
export type ProfitType = 'for_profit' | 'non_profit';
export type InstitutionStatus = 'operating' | 'closing' | 'closed';

export interface Institution {
  id: string;
  name: string;
  uscc: string;
  districtCode: string;
  category: InstitutionCategory;
  profitType: ProfitType;
  address: string;
  legalRepresentative: string;
  contactName: string;
  contactPhone: string;
  status: InstitutionStatus;
  /** The institution's ordinary (basic) account, where releases are paid. */
  basicAccountBank: string | null;
  basicAccountNumber: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields a regulator may change after registration (history is kept for each). */
export const MUTABLE_INSTITUTION_FIELDS = [
  'name',
  'category',
  'profitType',
  'address',
  'legalRepresentative',
  'contactName',
  'contactPhone',
  'basicAccountBank',
  'basicAccountNumber',
] as const;
export type MutableInstitutionField = (typeof MUTABLE_INSTITUTION_FIELDS)[number];
export type InstitutionPatch = Partial<Pick<Institution, MutableInstitutionField | 'status'>>;

export type NewInstitution = Omit<Institution, 'id' | 'basicAccountBank' | 'basicAccountNumber' | 'createdAt' | 'updatedAt'>;

interface InstitutionRow {
  id: string;
  name: string;
  uscc: string;
  district_code: string;
  category: InstitutionCategory;
  profit_type: ProfitType;
  address: string;
  legal_representative: string;
  contact_name: string;
  contact_phone: string;
  status: InstitutionStatus;
  basic_account_bank: string | null;
  basic_account_number: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface HistoryRow {
  id: string;
  change_type: string;
  changed_by: string | null;
  changed_at: Date;
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
}

const COLUMNS = `id, name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone,
                 status, basic_account_bank, basic_account_number, created_by, created_at, updated_at`;

/** Column of each field a patch may change (the only names interpolated into SQL). */
const PATCH_COLUMNS: Record<keyof InstitutionPatch, string> = {
  name: 'name',
  category: 'category',
  profitType: 'profit_type',
  address: 'address',
  legalRepresentative: 'legal_representative',
  contactName: 'contact_name',
  contactPhone: 'contact_phone',
  basicAccountBank: 'basic_account_bank',
  basicAccountNumber: 'basic_account_number',
  status: 'status',
};

const toInstitution = (r: InstitutionRow): Institution => ({
  id: r.id,
  name: r.name,
  uscc: r.uscc,
  districtCode: r.district_code,
  category: r.category,
  profitType: r.profit_type,
  address: r.address,
  legalRepresentative: r.legal_representative,
  contactName: r.contact_name,
  contactPhone: r.contact_phone,
  status: r.status,
  basicAccountBank: r.basic_account_bank,
  basicAccountNumber: r.basic_account_number,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

@Injectable()
export class InstitutionsRepository {
  async insert(m: EntityManager, i: NewInstitution): Promise<Institution> {
    const rows: InstitutionRow[] = await m.query(
      `INSERT INTO institutions (name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone, status, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
      [i.name, i.uscc, i.districtCode, i.category, i.profitType, i.address, i.legalRepresentative, i.contactName, i.contactPhone, i.status, i.createdBy],
    );
    return toInstitution(rows[0]);
  }

  /** With `lock`, a row lock for a change, so two concurrent edits produce two ordered history entries. */
  async findById(m: EntityManager, id: string, lock = false): Promise<Institution | null> {
    const rows: InstitutionRow[] = await m.query(`SELECT ${COLUMNS} FROM institutions WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toInstitution(rows[0]) : null;
  }

  async findByIds(m: EntityManager, ids: string[]): Promise<Institution[]> {
    if (ids.length === 0) return [];
    const rows: InstitutionRow[] = await m.query(`SELECT ${COLUMNS} FROM institutions WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map(toInstitution);
  }

  async findByUscc(m: EntityManager, uscc: string): Promise<Institution | null> {
    const rows: InstitutionRow[] = await m.query(`SELECT ${COLUMNS} FROM institutions WHERE uscc = $1`, [uscc]);
    return rows[0] ? toInstitution(rows[0]) : null;
  }

  async update(m: EntityManager, id: string, patch: InstitutionPatch): Promise<Institution> {
    const entries = (Object.entries(patch) as [keyof InstitutionPatch, unknown][]).filter(([, v]) => v !== undefined);
    const sets = entries.map(([field], k) => `${PATCH_COLUMNS[field]} = $${k + 2}`);
    const result: unknown = await m.query(
      `UPDATE institutions SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, ...entries.map(([, v]) => v)],
    );
    return toInstitution(rowsOf<InstitutionRow>(result)[0]);
  }

  /** Keyset page ordered by id; `districtPatterns` null means every district. */
  async listPage(m: EntityManager, districtPatterns: string[] | null, onlyId: string | null, after: string | null, limit: number): Promise<Institution[]> {
    const rows: InstitutionRow[] = await m.query(
      `SELECT ${COLUMNS} FROM institutions
        WHERE ($1::text[] IS NULL OR district_code LIKE ANY($1::text[]))
          AND ($2::uuid IS NULL OR id = $2::uuid)
          AND ($3::uuid IS NULL OR id > $3::uuid)
        ORDER BY id LIMIT $4`,
      [districtPatterns, onlyId, after, limit],
    );
    return rows.map(toInstitution);
  }

  async insertHistory(m: EntityManager, institutionId: string, changeType: string, actor: string | null, before: unknown, after: unknown): Promise<void> {
    await m.query(
      `INSERT INTO institution_history (institution_id, change_type, changed_by, before, after) VALUES ($1, $2, $3, $4, $5)`,
      [institutionId, changeType, actor, before === null ? null : JSON.stringify(before), JSON.stringify(after)],
    );
  }

  history(m: EntityManager, institutionId: string): Promise<HistoryRow[]> {
    return m.query(
      `SELECT id::text, change_type, changed_by, changed_at, before, after FROM institution_history WHERE institution_id = $1 ORDER BY id`,
      [institutionId],
    );
  }
}
