import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import { LicenceAction, LicenceState } from './licence-state-machine';

export interface Licence {
  id: string;
  institutionId: string;
  state: LicenceState;
  licenceNumber: string | null;
  /** YYYY-MM-DD */
  validFrom: string | null;
  validTo: string | null;
  requiredApprovals: number | null;
  previousLicenceId: string | null;
  stateReason: string | null;
  suspendedUntil: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type LicencePatch = Partial<Pick<Licence, 'state' | 'stateReason' | 'licenceNumber' | 'validFrom' | 'validTo' | 'requiredApprovals' | 'suspendedUntil'>>;

interface LicenceRow {
  id: string;
  institution_id: string;
  state: LicenceState;
  licence_number: string | null;
  valid_from: string | null;
  valid_to: string | null;
  required_approvals: number | null;
  previous_licence_id: string | null;
  state_reason: string | null;
  suspended_until: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface TransitionRow {
  action: string;
  from_state: string | null;
  to_state: string;
  reason: string | null;
  actor_id: string | null;
  at: Date;
}

export interface ApprovalRow {
  approver_id: string;
  approved_at: Date;
  comment: string | null;
}

const COLUMNS = `id, institution_id, state, licence_number, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to,
                 required_approvals, previous_licence_id, state_reason, to_char(suspended_until, 'YYYY-MM-DD') AS suspended_until,
                 created_by, created_at, updated_at`;

const PATCH_COLUMNS: Record<keyof LicencePatch, string> = {
  state: 'state',
  stateReason: 'state_reason',
  licenceNumber: 'licence_number',
  validFrom: 'valid_from',
  validTo: 'valid_to',
  requiredApprovals: 'required_approvals',
  suspendedUntil: 'suspended_until',
};

const toLicence = (r: LicenceRow): Licence => ({
  id: r.id,
  institutionId: r.institution_id,
  state: r.state,
  licenceNumber: r.licence_number,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  requiredApprovals: r.required_approvals,
  previousLicenceId: r.previous_licence_id,
  stateReason: r.state_reason,
  suspendedUntil: r.suspended_until,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * The licence eligibility and supervision look at: the one in force (active or suspended)
 * first, else the latest expired. One definition for one institution and for all of them.
 */
const CURRENT_LICENCES = `
  SELECT DISTINCT ON (institution_id) ${COLUMNS} FROM licences
   WHERE state IN ('active', 'suspended', 'expired') AND ($1::uuid[] IS NULL OR institution_id = ANY($1::uuid[]))
   ORDER BY institution_id, (state IN ('active', 'suspended')) DESC, valid_to DESC NULLS LAST`;

@Injectable()
export class LicencesRepository {
  async insert(m: EntityManager, l: Pick<Licence, 'institutionId' | 'state' | 'previousLicenceId' | 'createdBy'>): Promise<Licence> {
    const rows: LicenceRow[] = await m.query(
      `INSERT INTO licences (institution_id, state, previous_licence_id, created_by) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [l.institutionId, l.state, l.previousLicenceId, l.createdBy],
    );
    return toLicence(rows[0]);
  }

  /** With `lock`, under a row lock for a read-modify-write. */
  async findById(m: EntityManager, id: string, lock = false): Promise<Licence | null> {
    const rows: LicenceRow[] = await m.query(`SELECT ${COLUMNS} FROM licences WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toLicence(rows[0]) : null;
  }

  async listForInstitution(m: EntityManager, institutionId: string): Promise<Licence[]> {
    const rows: LicenceRow[] = await m.query(`SELECT ${COLUMNS} FROM licences WHERE institution_id = $1 ORDER BY created_at`, [institutionId]);
    return rows.map(toLicence);
  }

  /** `institutionIds` null: every institution that has one. */
  async current(m: EntityManager, institutionIds: string[] | null): Promise<Licence[]> {
    const rows: LicenceRow[] = await m.query(CURRENT_LICENCES, [institutionIds]);
    return rows.map(toLicence);
  }

  /** Active licences whose validity ended before `today`, locked so a concurrent run waits and then skips them. */
  async activeEndedBeforeForUpdate(m: EntityManager, today: string): Promise<Licence[]> {
    const rows: LicenceRow[] = await m.query(
      `SELECT ${COLUMNS} FROM licences WHERE state = 'active' AND valid_to < $1::date ORDER BY id FOR UPDATE`,
      [today],
    );
    return rows.map(toLicence);
  }

  async activeEndingBetween(m: EntityManager, from: string, to: string): Promise<Licence[]> {
    const rows: LicenceRow[] = await m.query(
      `SELECT ${COLUMNS} FROM licences WHERE state = 'active' AND valid_to >= $1::date AND valid_to <= $2::date ORDER BY valid_to, id`,
      [from, to],
    );
    return rows.map(toLicence);
  }

  async update(m: EntityManager, id: string, patch: LicencePatch): Promise<Licence> {
    const entries = (Object.entries(patch) as [keyof LicencePatch, unknown][]).filter(([, v]) => v !== undefined);
    const sets = entries.map(([field], k) => `${PATCH_COLUMNS[field]} = $${k + 2}`);
    const result: unknown = await m.query(
      `UPDATE licences SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, ...entries.map(([, v]) => v)],
    );
    return toLicence(rowsOf<LicenceRow>(result)[0]);
  }

  async recordTransition(m: EntityManager, licenceId: string, action: LicenceAction | 'apply', from: LicenceState | null, to: LicenceState, actor: string | null, reason: string | null): Promise<void> {
    await m.query(
      `INSERT INTO licence_transitions (licence_id, action, from_state, to_state, reason, actor_id) VALUES ($1, $2, $3, $4, $5, $6)`,
      [licenceId, action, from, to, reason, actor],
    );
  }

  transitions(m: EntityManager, licenceId: string): Promise<TransitionRow[]> {
    return m.query(`SELECT action, from_state, to_state, reason, actor_id, at FROM licence_transitions WHERE licence_id = $1 ORDER BY id`, [licenceId]);
  }

  /** Returns false when this approver already approved. */
  async addApproval(m: EntityManager, licenceId: string, approverId: string, comment: string | null): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO licence_approvals (licence_id, approver_id, comment) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [licenceId, approverId, comment],
    );
    return rows.length === 1;
  }

  approvals(m: EntityManager, licenceId: string): Promise<ApprovalRow[]> {
    return m.query(`SELECT approver_id, approved_at, comment FROM licence_approvals WHERE licence_id = $1 ORDER BY approved_at`, [licenceId]);
  }

  async requiredApprovals(m: EntityManager, districtCode: string, fallback: number): Promise<number> {
    const rows: { required_approvals: number }[] = await m.query(
      `SELECT required_approvals FROM district_review_settings WHERE district_code = $1`,
      [districtCode],
    );
    return rows[0]?.required_approvals ?? fallback;
  }

  async setRequiredApprovals(m: EntityManager, districtCode: string, n: number, actor: string): Promise<void> {
    await m.query(
      `INSERT INTO district_review_settings (district_code, required_approvals, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (district_code) DO UPDATE SET required_approvals = EXCLUDED.required_approvals, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [districtCode, n, actor],
    );
  }
}
