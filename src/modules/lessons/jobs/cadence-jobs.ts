import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { addDaysTo } from '@common/dates';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { CalendarService } from '@modules/calendar/calendar.service';
import { ContractsService } from '@modules/contracts/contracts.service';
import { LessonReleaseService } from '../lesson-release.service';
import { LessonsRepository } from '../lessons.repository';
import { netWeekly } from '../weekly-netting';

/** Monday of the week of `date` (weeks run Monday to Sunday). */
export function weekStart(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDaysTo(date, -((day + 6) % 7));
}

/**
 * Weekly settlement (一周一结): the lessons of a finished week were posted when confirmed; now
 * one netted instruction per institution and week is written, payable after the policy's delay.
 * Idempotent: a lesson is netted once (its instruction id is set in the same transaction).
 */
@Injectable()
@JobHandler(JobName.WeeklySettlement)
export class WeeklySettlementJob implements JobHandlerOf<JobName.WeeklySettlement> {
  private readonly logger = new Logger(WeeklySettlementJob.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LessonsRepository,
    private readonly contracts: ContractsService,
    private readonly releases: LessonReleaseService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.WeeklySettlement] = {}): Promise<{ instructions: number }> {
    const thisWeek = weekStart(payload.today ?? this.clock.today());
    return this.ds.transaction(async (m) => {
      const due = await this.repo.weeklyDue(m, thisWeek);
      const terms = await this.contracts.releaseTermsOf(m, [...new Set(due.map((d) => d.contract_id))]);
      const groups = netWeekly(due, terms);
      let instructed = 0;
      for (const g of groups) {
        // A frozen escrow account pays nothing out: its lessons wait, un-netted, for a run after the unfreeze.
        if (!(await this.releases.mayPayOut(m, g.escrowAccountId))) continue;
        // Payable `delay` days after the week ends (its Sunday).
        const notBefore = addDaysTo(addDaysTo(g.week, 6), g.delay);
        // One movement per group: the group's first lesson names it (a lesson is netted once).
        const sourceRef = `weekly.${g.escrowAccountId}.${g.week}.${g.ids[0]}`;
        const id = await this.releases.instructNetted(m, { escrowAccountId: g.escrowAccountId, institutionId: g.institutionId, amount: g.total, notBefore, sourceRef });
        await this.repo.setMovement(m, g.ids, id);
        instructed += 1;
      }
      if (instructed) this.logger.log(`Weekly settlement before ${thisWeek}: ${instructed} instructions`);
      return { instructions: instructed };
    });
  }
}

/**
 * After-completion cadence: once every lesson of a contract is confirmed and the policy's
 * working days after the last lesson have passed, everything still held is released at once.
 */
@Injectable()
@JobHandler(JobName.CompletionReleases)
export class CompletionReleasesJob implements JobHandlerOf<JobName.CompletionReleases> {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LessonsRepository,
    private readonly contracts: ContractsService,
    private readonly releases: LessonReleaseService,
    private readonly calendar: CalendarService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.CompletionReleases] = {}): Promise<{ released: number }> {
    const today = payload.today ?? this.clock.today();
    const calendar = await this.calendar.workingDays();
    const candidates = await this.contracts.awaitingCompletion();
    const lastLessons = await this.repo.lastSettledLessons(this.ds.manager, candidates.map((c) => c.id));
    let released = 0;
    for (const c of candidates) {
      const last = lastLessons.get(c.id);
      if (!last || calendar.add(last, c.working_days) >= today) continue;
      if ((await this.ds.transaction((m) => this.releases.releaseCompleted(m, c.id))) === 'released') released += 1;
    }
    return { released };
  }
}
