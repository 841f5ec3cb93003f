import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireDistrict } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { addDaysTo } from '@common/dates';
import { DomainError } from '@common/errors/domain-error';
import { AppConfig } from '@config/app-config';
import { isUniqueViolation } from '@infra/database/pg-errors';
import type { Institution } from '@modules/institutions/institutions.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { LicenceAction, nextLicenceState } from './licence-state-machine';
import { duplicateApproval, invalidTransition, licenceNotFound } from './licences.errors';
import { ApprovalRow, Licence, LicencePatch, LicencesRepository, TransitionRow } from './licences.repository';

export type { Licence } from './licences.repository';

export interface ReviewTerms {
  licenceNumber: string;
  validFrom: string;
  validTo: string;
}

@Injectable()
export class LicencesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LicencesRepository,
    private readonly institutions: InstitutionsService,
    private readonly events: SupervisionEventsService,
    private readonly config: AppConfig,
  ) {}

  /** An institution (for itself), its regulator or an admin files a licence application. */
  async apply(who: Principal, institutionId: string, previousLicenceId: string | null = null): Promise<Licence> {
    return this.ds.transaction(async (m) => {
      const inst = await this.institutions.getVisible(who, institutionId, m);
      const open = (await this.repo.listForInstitution(m, institutionId)).find((l) => l.state === 'applied' || l.state === 'under_review');
      if (open) throw new DomainError('CONFLICT', 'An application for this institution is already open', { licenceId: open.id });
      const licence = await this.repo.insert(m, { institutionId: inst.id, state: 'applied', previousLicenceId, createdBy: who.id });
      await this.repo.recordTransition(m, licence.id, 'apply', null, 'applied', who.id, null);
      return licence;
    });
  }

  async get(who: Principal, id: string, m: EntityManager = this.ds.manager): Promise<Licence> {
    const licence = await this.repo.findById(m, id);
    if (!licence) throw licenceNotFound(id);
    await this.institutions.getVisible(who, licence.institutionId, m).catch(() => {
      throw licenceNotFound(id);
    });
    return licence;
  }

  async listForInstitution(who: Principal, institutionId: string): Promise<Licence[]> {
    await this.institutions.getVisible(who, institutionId);
    return this.repo.listForInstitution(this.ds.manager, institutionId);
  }

  details(id: string): Promise<[ApprovalRow[], TransitionRow[]]> {
    return Promise.all([this.repo.approvals(this.ds.manager, id), this.repo.transitions(this.ds.manager, id)]);
  }

  /** The licence eligibility looks at for each institution (in force first, else the latest expired); null ids: all. */
  current(m: EntityManager, institutionIds: string[] | null): Promise<Licence[]> {
    return this.repo.current(m, institutionIds);
  }

  /** Active licences whose validity ends between `today` and `days` days later (inclusive). */
  endingWithin(m: EntityManager, today: string, days: number): Promise<Licence[]> {
    return this.repo.activeEndingBetween(m, today, addDaysTo(today, days));
  }

  /**
   * The daily job's expiry: every active licence whose validity ended before `today` takes the
   * state machine's `expire` transition, recorded like any other. Concurrent runs wait on the
   * row locks and then find nothing left to expire. Returns the licences it expired.
   */
  async expireDue(m: EntityManager, today: string): Promise<Licence[]> {
    const due = await this.repo.activeEndedBeforeForUpdate(m, today);
    const expired: Licence[] = [];
    for (const licence of due) {
      expired.push(await this.applyTransition(m, licence, 'expire', null, `validity ended ${licence.validTo}`, { stateReason: 'validity ended' }));
    }
    return expired;
  }

  /** Moves a locked licence through the state machine and records the transition; refuses what the table does not allow. */
  private async applyTransition(m: EntityManager, licence: Licence, action: LicenceAction, actor: string | null, reason: string | null, patch: LicencePatch = {}): Promise<Licence> {
    const to = nextLicenceState(licence.state, action);
    if (!to) throw invalidTransition(licence.state, action);
    const updated = await this.repo.update(m, licence.id, { stateReason: reason ?? licence.stateReason, ...patch, state: to });
    await this.repo.recordTransition(m, licence.id, action, licence.state, to, actor, reason);
    return updated;
  }

  /** Locks the licence, checks the caller supervises it and that `action` is allowed now. */
  private async begin(m: EntityManager, who: Principal, id: string, action: LicenceAction) {
    const found = await this.repo.findById(m, id, true);
    if (!found) throw licenceNotFound(id);
    const inst = await this.institutions.getSupervised(who, found.institutionId, m).catch((err: DomainError) => {
      throw err.code === 'INSTITUTION_NOT_FOUND' ? licenceNotFound(id) : err;
    });
    if (!nextLicenceState(found.state, action)) throw invalidTransition(found.state, action);
    return { licence: found, inst };
  }

  private async transition(
    who: Principal,
    id: string,
    action: LicenceAction,
    reason: string | null,
    patch: (l: Licence, i: Institution, m: EntityManager) => LicencePatch | Promise<LicencePatch> = () => ({}),
  ) {
    try {
      return await this.ds.transaction(async (m) => {
        const { licence, inst } = await this.begin(m, who, id, action);
        const updated = await this.applyTransition(m, licence, action, who.id, reason, await patch(licence, inst, m));
        if (action === 'suspend' || action === 'revoke') {
          await this.events.raise(m, {
            institutionId: inst.id,
            districtCode: inst.districtCode,
            type: action === 'suspend' ? 'LICENCE_SUSPENDED' : 'LICENCE_REVOKED',
            severity: 'critical',
            message: `Licence ${licence.licenceNumber ?? licence.id} ${action === 'suspend' ? 'suspended' : 'revoked'}: ${reason}`,
            details: { licenceId: id, reason },
            dedupeKey: `licence-${action}:${id}:${Date.now()}`,
          });
        }
        return updated;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'licences_number_key')) {
        throw new DomainError('CONFLICT', 'That licence number is already in use', { licenceId: id });
      }
      throw err;
    }
  }

  startReview(who: Principal, id: string, terms: ReviewTerms): Promise<Licence> {
    if (terms.validTo < terms.validFrom) throw new DomainError('VALIDATION_FAILED', 'validTo is before validFrom', terms);
    // The quorum is fixed when review starts, so a later settings change does not move the goalposts.
    return this.transition(who, id, 'start_review', null, async (_l, inst, m) => ({
      licenceNumber: terms.licenceNumber,
      validFrom: terms.validFrom,
      validTo: terms.validTo,
      requiredApprovals: await this.repo.requiredApprovals(m, inst.districtCode, this.config.LICENCE_APPROVALS_REQUIRED),
    }));
  }

  reject(who: Principal, id: string, reason: string) {
    return this.transition(who, id, 'reject', reason);
  }

  suspend(who: Principal, id: string, reason: string, until: string | null) {
    return this.transition(who, id, 'suspend', reason, () => ({ suspendedUntil: until }));
  }

  reinstate(who: Principal, id: string, reason: string | null) {
    return this.transition(who, id, 'reinstate', reason, () => ({ suspendedUntil: null }));
  }

  revoke(who: Principal, id: string, reason: string) {
    return this.transition(who, id, 'revoke', reason);
  }

  /**
   * Joint review: each distinct regulator covering the district approves once; the licence
   * becomes active when the district's required number is reached. A renewal that becomes
   * active supersedes the licence it renews.
   */
  async approve(who: Principal, id: string, comment: string | null): Promise<{ licence: Licence; approvals: number; required: number }> {
    if (who.role !== 'regulator') throw new DomainError('FORBIDDEN', 'Only regulators take part in joint review');
    return this.ds.transaction(async (m) => {
      const { licence, inst } = await this.begin(m, who, id, 'approve');
      if (!(await this.repo.addApproval(m, id, who.id, comment))) throw duplicateApproval(id);
      const required = licence.requiredApprovals ?? (await this.repo.requiredApprovals(m, inst.districtCode, this.config.LICENCE_APPROVALS_REQUIRED));
      const approvals = (await this.repo.approvals(m, id)).length;
      if (approvals < required) return { licence, approvals, required };
      if (licence.previousLicenceId) {
        const previous = await this.repo.findById(m, licence.previousLicenceId, true);
        if (previous && nextLicenceState(previous.state, 'supersede')) {
          await this.applyTransition(m, previous, 'supersede', who.id, `superseded by renewal ${id}`);
        }
      }
      const active = await this.applyTransition(m, licence, 'approve', who.id, `joint review: ${approvals} of ${required} approvals`, {
        stateReason: licence.stateReason,
        requiredApprovals: required,
      });
      return { licence: active, approvals, required };
    });
  }

  /** Opens the next licence period for an active or expired licence. */
  async renew(who: Principal, id: string): Promise<Licence> {
    const current = await this.get(who, id);
    if (!nextLicenceState(current.state, 'renew')) throw invalidTransition(current.state, 'renew');
    return this.apply(who, current.institutionId, current.id);
  }

  async setRequiredApprovals(who: Principal, districtCode: string, n: number): Promise<void> {
    if (!/^\d{6}$/.test(districtCode)) throw new DomainError('INVALID_DISTRICT_CODE', 'District codes are 6 digits', { districtCode });
    requireDistrict(who, districtCode);
    await this.repo.setRequiredApprovals(this.ds.manager, districtCode, n, who.id);
  }
}
