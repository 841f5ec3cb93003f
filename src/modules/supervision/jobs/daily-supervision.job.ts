import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { InspectionsService } from '@modules/inspections/inspections.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { Licence, LicencesService } from '@modules/licences/licences.service';
import { inspectionOverdueSince } from '../eligibility';
import { inspectionFacts, licenceFacts } from '../eligibility.service';
import { SupervisionEventInput, SupervisionEventsService } from '../supervision-events.service';

const EXPIRY_WARNING_DAYS = 30;

interface InspectionOverdue {
  institutionId: string;
  districtCode: string;
  dueOn: string;
  lastInspectedOn: string | null;
}

/**
 * Daily supervision: expires licences past their validity (through the licence state
 * machine), warns 30 days before a licence expires, and flags overdue annual inspections.
 * Safe to run twice: expiry only touches active licences, and every event has a dedupe key.
 */
@Injectable()
@JobHandler(JobName.DailySupervision)
export class DailySupervisionJob implements JobHandlerOf<JobName.DailySupervision> {
  private readonly logger = new Logger(DailySupervisionJob.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly institutions: InstitutionsService,
    private readonly licences: LicencesService,
    private readonly inspections: InspectionsService,
    private readonly events: SupervisionEventsService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.DailySupervision] = {}): Promise<{ expired: number; newEvents: number }> {
    const today = payload.today ?? this.clock.today();
    return this.ds.transaction(async (m) => {
      const expired = await this.licences.expireDue(m, today);
      const expiring = await this.licences.endingWithin(m, today, EXPIRY_WARNING_DAYS);
      const districts = await this.districtsOf(m, [...expired, ...expiring].map((l) => l.institutionId));
      const raised: SupervisionEventInput[] = [
        ...expired.map((l) => ({
          institutionId: l.institutionId,
          districtCode: districts.get(l.institutionId)!,
          type: 'LICENCE_EXPIRED',
          severity: 'critical' as const,
          message: `Licence ${l.licenceNumber ?? l.id} expired on ${l.validTo}`,
          details: { licenceId: l.id, validTo: l.validTo },
          dedupeKey: `licence-expired:${l.id}`,
        })),
        ...expiring.map((l) => ({
          institutionId: l.institutionId,
          districtCode: districts.get(l.institutionId)!,
          type: 'LICENCE_EXPIRING',
          severity: 'warning' as const,
          message: `Licence ${l.licenceNumber ?? l.id} expires on ${l.validTo}`,
          details: { licenceId: l.id, validTo: l.validTo },
          dedupeKey: `licence-expiring:${l.id}:${l.validTo}`,
        })),
        ...(await this.inspectionsOverdue(m, today)).map((d) => ({
          institutionId: d.institutionId,
          districtCode: d.districtCode,
          type: 'INSPECTION_OVERDUE',
          severity: 'warning' as const,
          message: `Annual inspection overdue since ${d.dueOn}`,
          details: { dueOn: d.dueOn, lastInspectedOn: d.lastInspectedOn },
          dedupeKey: `inspection-overdue:${d.institutionId}:${d.dueOn}`,
        })),
      ];
      let newEvents = 0;
      for (const e of raised) newEvents += Number(await this.events.raise(m, e));
      this.logger.log(`Daily supervision for ${today}: ${expired.length} licences expired, ${newEvents} new events`);
      return { expired: expired.length, newEvents };
    });
  }

  private async districtsOf(m: EntityManager, institutionIds: string[]): Promise<Map<string, string>> {
    const found = await this.institutions.findByIds(m, [...new Set(institutionIds)]);
    return new Map(found.map((i) => [i.id, i.districtCode]));
  }

  /**
   * Institutions not closed, with a licence eligibility looks at, whose inspection is overdue
   * by the one due-date rule of `eligibility.ts`.
   */
  private async inspectionsOverdue(m: EntityManager, today: string): Promise<InspectionOverdue[]> {
    const licences: Licence[] = await this.licences.current(m, null);
    const ids = licences.map((l) => l.institutionId);
    const institutions = new Map((await this.institutions.findByIds(m, ids)).map((i) => [i.id, i]));
    const latest = new Map((await this.inspections.latestOf(m, ids)).map((i) => [i.institutionId, i]));
    return licences.flatMap((l) => {
      const inst = institutions.get(l.institutionId);
      if (!inst || inst.status === 'closed') return [];
      const inspection = latest.get(l.institutionId);
      const dueOn = inspectionOverdueSince({ licence: licenceFacts(l), latestInspection: inspectionFacts(inspection) }, today);
      return dueOn ? [{ institutionId: inst.id, districtCode: inst.districtCode, dueOn, lastInspectedOn: inspection?.inspectedOn ?? null }] : [];
    });
  }
}
