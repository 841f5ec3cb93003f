import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WorkingDays } from './working-days';

/** The working-day calendar with the admins' overrides, read fresh for each use case. */
@Injectable()
export class CalendarService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async workingDays(m: EntityManager = this.ds.manager): Promise<WorkingDays> {
    const rows: { day: string; is_workday: boolean }[] = await m.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, is_workday FROM calendar_overrides`);
    return new WorkingDays(new Map(rows.map((r) => [r.day, r.is_workday])));
  }

  async override(day: string, isWorkday: boolean, reason: string, actor: string): Promise<void> {
    await this.ds.query(
      `INSERT INTO calendar_overrides (day, is_workday, reason, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, reason = EXCLUDED.reason, created_by = EXCLUDED.created_by, created_at = now()`,
      [day, isWorkday, reason, actor],
    );
  }
}
