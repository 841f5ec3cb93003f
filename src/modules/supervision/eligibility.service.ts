import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { Principal } from '../../common/auth/principal';
import { EscrowAccountsService } from '../escrow-accounts/escrow-accounts.service';
import { InspectionsService } from '../inspections/inspections.service';
import { InstitutionsService } from '../institutions/institutions.service';
import { EligibilityFacts, eligibilityReasons, EligibilityReason, inspectionDueDate } from './eligibility';

export interface Eligibility {
  institutionId: string;
  eligible: boolean;
  asOf: string;
  reasons: EligibilityReason[];
  inspectionDueOn: string | null;
}

/** Whether an institution may sign new contracts now; the contracts feature calls `check`. */
@Injectable()
export class EligibilityService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly institutions: InstitutionsService,
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
    const institution = await m.query(`SELECT status FROM institutions WHERE id = $1`, [institutionId]);
    const licences = await m.query(
      `SELECT state, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to
         FROM licences WHERE institution_id = $1 AND state IN ('active', 'suspended', 'expired')
        ORDER BY (state IN ('active', 'suspended')) DESC, valid_to DESC NULLS LAST LIMIT 1`,
      [institutionId],
    );
    const inspection = await this.inspections.latest(m, institutionId);
    const escrow = await this.escrow.current(m, institutionId);
    const facts: EligibilityFacts = {
      today,
      institutionStatus: institution[0]?.status ?? 'closed',
      licence: licences[0] ? { state: licences[0].state, validFrom: licences[0].valid_from, validTo: licences[0].valid_to } : null,
      latestInspection: inspection ? { year: inspection.year, result: inspection.result, inspectedOn: inspection.inspectedOn } : null,
      escrow: escrow ? { state: escrow.state } : null,
    };
    const reasons = eligibilityReasons(facts);
    return { institutionId, eligible: reasons.length === 0, asOf: today, reasons, inspectionDueOn: inspectionDueDate(facts) };
  }

}
