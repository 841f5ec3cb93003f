import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CalendarRepository } from './calendar.repository';
import { WorkingDays } from './working-days';

/** How old the calendar of the lessons' hot path may be (see recentWorkingDays). */
const RECENT_MS = 1000;

/** The working-day calendar with the admins' overrides, read fresh for each use case (or at most a second old on the hot path). */
@Injectable()
export class CalendarService {
  private recent: { at: number; days: Promise<WorkingDays> } | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: CalendarRepository,
  ) {}

  async workingDays(m: EntityManager = this.ds.manager): Promise<WorkingDays> {
    const rows = await this.repo.overrides(m);
    return new WorkingDays(new Map(rows.map((r) => [r.day, r.is_workday])));
  }

  /**
   * The calendar as read at most a second ago: lesson registration asks for it with every request
   * (each lesson's confirmation deadline) and overrides are rare admin acts, so one read a second
   * serves them all. An override made in this process is seen at once; in another process within
   * a second.
   */
  recentWorkingDays(): Promise<WorkingDays> {
    const now = Date.now();
    if (!this.recent || now - this.recent.at > RECENT_MS) {
      const days = this.workingDays();
      const entry = { at: now, days };
      this.recent = entry;
      days.catch(() => {
        if (this.recent === entry) this.recent = null;
      });
    }
    return this.recent.days;
  }

  async override(day: string, isWorkday: boolean, reason: string, actor: string): Promise<void> {
    this.recent = null;
    await this.repo.upsert(this.ds.manager, day, isWorkday, reason, actor);
    this.recent = null;
  }
}
