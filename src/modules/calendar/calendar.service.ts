import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CalendarRepository } from './calendar.repository';
import { WorkingDays } from './working-days';

/** The working-day calendar with the admins' overrides, read fresh for each use case. */
@Injectable()
export class CalendarService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: CalendarRepository,
  ) {}

  async workingDays(m: EntityManager = this.ds.manager): Promise<WorkingDays> {
    const rows = await this.repo.overrides(m);
    return new WorkingDays(new Map(rows.map((r) => [r.day, r.is_workday])));
  }

  override(day: string, isWorkday: boolean, reason: string, actor: string): Promise<void> {
    return this.repo.upsert(this.ds.manager, day, isWorkday, reason, actor);
  }
}
