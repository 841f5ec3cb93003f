import { Injectable } from '@nestjs/common';
import { findByIdForUpdate, insertEntity } from '../../infra/database/entity-helpers';
import { EntityManager, Not } from 'typeorm';
import { EscrowAccountEntity, EscrowState } from './escrow-account.entity';

export interface EscrowEventRow {
  action: string;
  reason: string;
  actor_id: string | null;
  at: Date;
}

@Injectable()
export class EscrowAccountsRepository {
  insert(m: EntityManager, data: Partial<EscrowAccountEntity>): Promise<EscrowAccountEntity> {
    return insertEntity(m, EscrowAccountEntity, data);
  }

  findById(m: EntityManager, id: string): Promise<EscrowAccountEntity | null> {
    return m.getRepository(EscrowAccountEntity).findOneBy({ id });
  }

  findByIdForUpdate(m: EntityManager, id: string): Promise<EscrowAccountEntity | null> {
    return findByIdForUpdate(m, EscrowAccountEntity, id);
  }

  findByBankAccount(m: EntityManager, bankCode: string, accountNumber: string): Promise<EscrowAccountEntity | null> {
    return m.getRepository(EscrowAccountEntity).findOneBy({ bankCode, accountNumber });
  }

  /** The institution's current (active or frozen) account, if any. */
  findCurrent(m: EntityManager, institutionId: string): Promise<EscrowAccountEntity | null> {
    return m.getRepository(EscrowAccountEntity).findOneBy({ institutionId, state: Not('closed' as EscrowState) });
  }

  listForInstitution(m: EntityManager, institutionId: string): Promise<EscrowAccountEntity[]> {
    return m.getRepository(EscrowAccountEntity).find({ where: { institutionId }, order: { createdAt: 'ASC' } });
  }

  async setState(m: EntityManager, id: string, state: EscrowState): Promise<EscrowAccountEntity> {
    await m.getRepository(EscrowAccountEntity).update({ id }, { state, updatedAt: () => 'now()' } as never);
    return (await this.findById(m, id))!;
  }

  async recordEvent(m: EntityManager, accountId: string, action: 'filed' | 'freeze' | 'unfreeze' | 'close', reason: string, actor: string | null): Promise<void> {
    await m.query(`INSERT INTO escrow_account_events (escrow_account_id, action, reason, actor_id) VALUES ($1, $2, $3, $4)`, [accountId, action, reason, actor]);
  }

  events(m: EntityManager, accountId: string): Promise<EscrowEventRow[]> {
    return m.query(`SELECT action, reason, actor_id, at FROM escrow_account_events WHERE escrow_account_id = $1 ORDER BY id`, [accountId]);
  }
}
