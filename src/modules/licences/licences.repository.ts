import { Injectable } from '@nestjs/common';
import { findByIdForUpdate, insertEntity } from '../../infra/database/entity-helpers';
import { EntityManager } from 'typeorm';
import { LicenceEntity } from './licence.entity';
import { LicenceAction, LicenceState } from './licence-state-machine';

export interface TransitionRow {
  action: string;
  from_state: string | null;
  to_state: string;
  reason: string | null;
  actor_id: string | null;
  at: Date;
}

@Injectable()
export class LicencesRepository {
  insert(m: EntityManager, data: Partial<LicenceEntity>): Promise<LicenceEntity> {
    return insertEntity(m, LicenceEntity, data);
  }

  findById(m: EntityManager, id: string): Promise<LicenceEntity | null> {
    return m.getRepository(LicenceEntity).findOneBy({ id });
  }

  findByIdForUpdate(m: EntityManager, id: string): Promise<LicenceEntity | null> {
    return findByIdForUpdate(m, LicenceEntity, id);
  }

  listForInstitution(m: EntityManager, institutionId: string): Promise<LicenceEntity[]> {
    return m.getRepository(LicenceEntity).find({ where: { institutionId }, order: { createdAt: 'ASC' } });
  }

  async update(m: EntityManager, id: string, patch: Partial<LicenceEntity>): Promise<LicenceEntity> {
    await m.getRepository(LicenceEntity).update({ id }, { ...patch, updatedAt: () => 'now()' } as never);
    return (await this.findById(m, id))!;
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

  approvals(m: EntityManager, licenceId: string): Promise<{ approver_id: string; approved_at: Date; comment: string | null }[]> {
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
