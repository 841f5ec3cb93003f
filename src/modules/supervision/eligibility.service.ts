import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@common/clock';
import { Principal } from '@common/auth/principal';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { Inspection, InspectionsService } from '@modules/inspections/inspections.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { Licence, LicencesService } from '@modules/licences/licences.service';
import { EligibilityFacts, eligibilityReasons, EligibilityReason, inspectionDueDate } from './eligibility';

export interface Eligibility {
  institutionId: string;
  eligible: boolean;
  asOf: string;
  reasons: EligibilityReason[];
  inspectionDueOn: string | null;
}

/** The register's facts as the pure rules in `eligibility.ts` read them. */
export function licenceFacts(l: Licence | null | undefined): EligibilityFacts['licence'] {
  return l ? { state: l.state, validFrom: l.validFrom, validTo: l.validTo } : null;
}

export function inspectionFacts(i: Inspection | null | undefined): EligibilityFacts['latestInspection'] {
  return i ? { year: i.year, result: i.result, inspectedOn: i.inspectedOn } : null;
}

/** Whether an institution may sign new contracts now; the contracts feature calls `check`. */
@Injectable()
export class EligibilityService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly institutions: InstitutionsService,
    private readonly licences: LicencesService,
    private readonly inspections: InspectionsService,
    private readonly escrow: EscrowAccountsService,
    private readonly clock: Clock,
  ) {}

  async forCaller(who: Principal, institutionId: string): Promise<Eligibility> {
    await this.institutions.getVisible(who, institutionId);
    return this.check(this.ds.manager, institutionId);
  }

  async check(m: EntityManager, institutionId: string): Promise<Eligibility> {
    const today = this.clock.today();
    const institution = await this.institutions.findById(m, institutionId);
    const [licence] = await this.licences.current(m, [institutionId]);
    const inspection = await this.inspections.latest(m, institutionId);
    const escrow = await this.escrow.current(m, institutionId);
    const facts: EligibilityFacts = {
      today,
      institutionStatus: institution?.status ?? 'closed',
      licence: licenceFacts(licence),
      latestInspection: inspectionFacts(inspection),
      escrow: escrow ? { state: escrow.state } : null,
    };
    const reasons = eligibilityReasons(facts);
    return { institutionId, eligible: reasons.length === 0, asOf: today, reasons, inspectionDueOn: inspectionDueDate(facts) };
  }
}
