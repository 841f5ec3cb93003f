import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { addDaysTo } from '../../../common/dates';
import { Clock } from '../../../common/clock';
import { Money } from '../../../common/money/money';
import { JobHandler, JobHandlerOf } from '../../../infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '../../../infra/queues/queue.constants';
import { CalendarService } from '../../calendar/calendar.service';
import { LessonReleaseService } from '../lesson-release.service';

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
    private readonly releases: LessonReleaseService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.WeeklySettlement] = {}): Promise<{ instructions: number }> {
    const thisWeek = weekStart(payload.today ?? this.clock.today());
    return this.ds.transaction(async (m) => {
      const groups: { institution_id: string; escrow_account_id: string; currency: string; week: string; delay: number; ids: string[]; total: string }[] = await m.query(
        `WITH due AS (
           SELECT id FROM lessons
            WHERE release_mode = 'weekly' AND released_at IS NOT NULL AND settlement_instruction_id IS NULL
              AND (released_at AT TIME ZONE 'Asia/Shanghai') < $1::date
            FOR UPDATE SKIP LOCKED)
         SELECT l.institution_id, c.escrow_account_id, c.currency,
                to_char(date_trunc('week', l.released_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS week,
                coalesce((p.rules->'releaseCadence'->>'paymentDelayDays')::int, 0) AS delay,
                array_agg(l.id) AS ids, sum(l.amount)::text AS total
           FROM due JOIN lessons l ON l.id = due.id JOIN contracts c ON c.id = l.contract_id JOIN jurisdiction_policies p ON p.id = c.policy_id
          GROUP BY 1, 2, 3, 4, 5`,
        [thisWeek],
      );
      for (const g of groups) {
        const amount = Money.fromDb(g.total, g.currency);
        // Payable `delay` days after the week ends (its Sunday).
        const notBefore = addDaysTo(addDaysTo(g.week, 6), g.delay);
        const id = await this.releases.instruct(m, g, amount, null, notBefore);
        await m.query(`UPDATE lessons SET settlement_instruction_id = $2 WHERE id = ANY($1::uuid[])`, [g.ids, id]);
      }
      if (groups.length) this.logger.log(`Weekly settlement before ${thisWeek}: ${groups.length} instructions`);
      return { instructions: groups.length };
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
    private readonly releases: LessonReleaseService,
    private readonly calendar: CalendarService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.CompletionReleases] = {}): Promise<{ released: number }> {
    const today = payload.today ?? this.clock.today();
    const calendar = await this.calendar.workingDays();
    const candidates: { id: string; last: string; days: number }[] = await this.ds.query(
      `SELECT c.id, to_char(max(l.delivered_on), 'YYYY-MM-DD') AS last, (p.rules->'releaseCadence'->>'workingDays')::int AS days
         FROM contracts c JOIN jurisdiction_policies p ON p.id = c.policy_id JOIN lessons l ON l.contract_id = c.id
        WHERE c.state = 'active' AND p.rules->'releaseCadence'->>'kind' = 'after_completion' AND c.lessons_consumed = c.lessons
          AND NOT EXISTS (SELECT 1 FROM contract_releases r WHERE r.contract_id = c.id AND r.kind = 'completion')
        GROUP BY c.id, p.rules
       HAVING bool_and(l.state IN ('confirmed', 'withdrawn'))`,
    );
    let released = 0;
    for (const c of candidates) {
      if (calendar.add(c.last, c.days) >= today) continue;
      if ((await this.ds.transaction((m) => this.releases.releaseCompleted(m, c.id))) === 'released') released += 1;
    }
    return { released };
  }
}
