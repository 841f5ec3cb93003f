import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { MovementRow } from '@modules/money-movements/money-movement.types';
import { DeliveryAttemptRow, SettlementsRepository } from './settlements.repository';

/** Admin reads of movements with their delivery record (the movement from its owner, the attempts from ours). */
@Injectable()
export class SettlementAdminService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly movements: MoneyMovementsService,
    private readonly repo: SettlementsRepository,
  ) {}

  list(deadLettered: boolean): Promise<MovementRow[]> {
    return this.movements.list({ deadLettered });
  }

  async get(id: string): Promise<Omit<MovementRow, 'attempts'> & { attempts: DeliveryAttemptRow[] }> {
    const movement = await this.movements.get(id);
    return { ...movement, attempts: await this.repo.attempts(this.ds.manager, id) };
  }
}
