import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../../../common/clock';
import { JobHandler, JobHandlerOf } from '../../../infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '../../../infra/queues/queue.constants';
import { SupervisionEventInput, SupervisionEventsRepository } from '../supervision-events.repository';
import { SupervisionRepository } from '../supervision.repository';

export const EXPIRY_WARNING_DAYS = 30;

/**
 * Daily supervision: expires licences past their validity, warns 30 days before a licence
 * expires, and flags overdue annual inspections. Safe to run twice: expiry only touches
 * active licences, and every event has a dedupe key.
 */
@Injectable()
@JobHandler(JobName.DailySupervision)
export class DailySupervisionJob implements JobHandlerOf<JobName.DailySupervision> {
  private readonly logger = new Logger(DailySupervisionJob.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: SupervisionRepository,
    private readonly events: SupervisionEventsRepository,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.DailySupervision] = {}): Promise<{ expired: number; newEvents: number }> {
    const today = payload.today ?? this.clock.today();
    return this.ds.transaction(async (m) => {
      const expired = await this.repo.expireLicences(m, today);
      const raised: SupervisionEventInput[] = [
        ...expired.map((l) => ({
          institutionId: l.institution_id,
          districtCode: l.district_code,
          type: 'LICENCE_EXPIRED',
          severity: 'critical' as const,
          message: `Licence ${l.licence_number ?? l.licence_id} expired on ${l.valid_to}`,
          details: { licenceId: l.licence_id, validTo: l.valid_to },
          dedupeKey: `licence-expired:${l.licence_id}`,
        })),
        ...(await this.repo.expiringWithin(m, today, EXPIRY_WARNING_DAYS)).map((l) => ({
          institutionId: l.institution_id,
          districtCode: l.district_code,
          type: 'LICENCE_EXPIRING',
          severity: 'warning' as const,
          message: `Licence ${l.licence_number ?? l.licence_id} expires on ${l.valid_to}`,
          details: { licenceId: l.licence_id, validTo: l.valid_to },
          dedupeKey: `licence-expiring:${l.licence_id}:${l.valid_to}`,
        })),
        ...(await this.repo.inspectionsOverdue(m, today)).map((d) => ({
          institutionId: d.institution_id,
          districtCode: d.district_code,
          type: 'INSPECTION_OVERDUE',
          severity: 'warning' as const,
          message: `Annual inspection overdue since ${d.due_on}`,
          details: { dueOn: d.due_on, lastInspectedOn: d.last_inspected_on },
          dedupeKey: `inspection-overdue:${d.institution_id}:${d.due_on}`,
        })),
      ];
      let newEvents = 0;
      for (const e of raised) newEvents += Number(await this.events.raise(m, e));
      this.logger.log(`Daily supervision for ${today}: ${expired.length} licences expired, ${newEvents} new events`);
      return { expired: expired.length, newEvents };
    });
  }
}
