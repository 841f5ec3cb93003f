import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface CalendarOverrideRow {
  /** YYYY-MM-DD */
  day: string;
  is_workday: boolean;
}

@Injectable()
export class CalendarRepository {
  overrides(m: EntityManager): Promise<CalendarOverrideRow[]> {
    return m.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, is_workday FROM calendar_overrides`);
  }

  async upsert(m: EntityManager, day: string, isWorkday: boolean, reason: string, actor: string): Promise<void> {
    await m.query(
      `INSERT INTO calendar_overrides (day, is_workday, reason, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, reason = EXCLUDED.reason, created_by = EXCLUDED.created_by, created_at = now()`,
      [day, isWorkday, reason, actor],
    );
  }
}
