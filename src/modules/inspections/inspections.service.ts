import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { isUniqueViolation } from '@infra/database/pg-errors';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { Inspection, InspectionResult, InspectionsRepository } from './inspections.repository';

export type { Inspection } from './inspections.repository';

export interface RecordInspectionCommand {
  year: number;
  result: InspectionResult;
  findings: string;
  fundSupervisionFindings: string;
  inspector: string;
  inspectedOn: string;
}

/** Annual inspections (年检年审): one per institution and year; a fail blocks new contracts. */
@Injectable()
export class InspectionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: InspectionsRepository,
    private readonly institutions: InstitutionsService,
    private readonly events: SupervisionEventsService,
  ) {}

  async record(who: Principal, institutionId: string, cmd: RecordInspectionCommand): Promise<Inspection> {
    if (Number(cmd.inspectedOn.slice(0, 4)) < cmd.year) {
      throw new DomainError('VALIDATION_FAILED', 'An inspection for a year cannot happen before that year', { year: cmd.year, inspectedOn: cmd.inspectedOn });
    }
    try {
      return await this.ds.transaction(async (m) => {
        const inst = await this.institutions.getSupervised(who, institutionId, m);
        const saved = await this.repo.insert(m, { ...cmd, institutionId, recordedBy: who.id });
        if (cmd.result !== 'pass') {
          await this.events.raise(m, {
            institutionId,
            districtCode: inst.districtCode,
            type: cmd.result === 'fail' ? 'INSPECTION_FAILED' : 'INSPECTION_CONDITIONAL',
            severity: cmd.result === 'fail' ? 'critical' : 'warning',
            message: `Annual inspection ${cmd.year}: ${cmd.result}`,
            details: { year: cmd.year, findings: cmd.findings, fundSupervisionFindings: cmd.fundSupervisionFindings },
            dedupeKey: `inspection:${institutionId}:${cmd.year}`,
          });
        }
        return saved;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'annual_inspections_year_key')) {
        throw new DomainError('INSPECTION_ALREADY_RECORDED', `The ${cmd.year} inspection is already recorded`, { year: cmd.year });
      }
      throw err;
    }
  }

  async list(who: Principal, institutionId: string): Promise<Inspection[]> {
    await this.institutions.getVisible(who, institutionId);
    return this.repo.listForInstitution(this.ds.manager, institutionId);
  }

  async latest(m: EntityManager, institutionId: string): Promise<Inspection | null> {
    return (await this.repo.latest(m, [institutionId]))[0] ?? null;
  }

  /** The latest inspection per institution, for the daily supervision run. */
  latestOf(m: EntityManager, institutionIds: string[]): Promise<Inspection[]> {
    return this.repo.latest(m, institutionIds);
  }
}
