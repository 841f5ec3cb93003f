import { Injectable } from '@nestjs/common';
import { DeliveryAttemptRow, MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { MovementRow } from '@modules/money-movements/money-movement.types';

/** Admin reads of movements with their delivery record (both kept by the movement's owner). */
@Injectable()
export class SettlementAdminService {
  constructor(private readonly movements: MoneyMovementsService) {}

  list(deadLettered: boolean): Promise<MovementRow[]> {
    return this.movements.list({ deadLettered });
  }

  async get(id: string): Promise<Omit<MovementRow, 'attempts'> & { attempts: DeliveryAttemptRow[] }> {
    const movement = await this.movements.get(id);
    return { ...movement, attempts: await this.movements.attempts(id) };
  }
}
