import { Injectable } from '@nestjs/common';
import { findByIdForUpdate, insertEntity } from '../../infra/database/entity-helpers';
import { EntityManager } from 'typeorm';
import { InstitutionEntity } from './institution.entity';

export interface HistoryRow {
  id: string;
  change_type: string;
  changed_by: string | null;
  changed_at: Date;
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
}

@Injectable()
export class InstitutionsRepository {
  insert(m: EntityManager, data: Partial<InstitutionEntity>): Promise<InstitutionEntity> {
    return insertEntity(m, InstitutionEntity, data);
  }

  findById(m: EntityManager, id: string): Promise<InstitutionEntity | null> {
    return m.getRepository(InstitutionEntity).findOneBy({ id });
  }

  /** Row lock for a change, so two concurrent edits produce two ordered history entries. */
  findByIdForUpdate(m: EntityManager, id: string): Promise<InstitutionEntity | null> {
    return findByIdForUpdate(m, InstitutionEntity, id);
  }

  findByUscc(m: EntityManager, uscc: string): Promise<InstitutionEntity | null> {
    return m.getRepository(InstitutionEntity).findOneBy({ uscc });
  }

  async update(m: EntityManager, id: string, patch: Partial<InstitutionEntity>): Promise<InstitutionEntity> {
    await m.getRepository(InstitutionEntity).update({ id }, { ...patch, updatedAt: () => 'now()' } as never);
    return (await this.findById(m, id))!;
  }

  /** Keyset page ordered by id; `districtPatterns` null means every district. */
  listPage(m: EntityManager, districtPatterns: string[] | null, onlyId: string | null, after: string | null, limit: number): Promise<InstitutionEntity[]> {
    const qb = m.getRepository(InstitutionEntity).createQueryBuilder('i').orderBy('i.id', 'ASC').limit(limit);
    if (districtPatterns) qb.andWhere('i.district_code LIKE ANY(:patterns)', { patterns: districtPatterns });
    if (onlyId) qb.andWhere('i.id = :onlyId', { onlyId });
    if (after) qb.andWhere('i.id > :after', { after });
    return qb.getMany();
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
