import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AccessMode, districtFilter, requireDistrict, requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { isUniqueViolation } from '@infra/database/pg-errors';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { institutionAlreadyRegistered, institutionNotFound, invalidUscc } from './institutions.errors';
import { HistoryRow, Institution, InstitutionsRepository, MUTABLE_INSTITUTION_FIELDS, MutableInstitutionField } from './institutions.repository';
import { normaliseUscc, validateUscc } from './uscc';

export type { Institution } from './institutions.repository';

export interface RegisterInstitutionCommand {
  name: string;
  uscc: string;
  districtCode: string;
  category: Institution['category'];
  profitType: Institution['profitType'];
  address: string;
  legalRepresentative: string;
  contactName: string;
  contactPhone: string;
}

export type UpdateInstitutionCommand = Partial<Pick<Institution, MutableInstitutionField>>;

const snapshot = (i: Institution) => Object.fromEntries(MUTABLE_INSTITUTION_FIELDS.map((f) => [f, i[f]]));

@Injectable()
export class InstitutionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: InstitutionsRepository,
    private readonly events: SupervisionEventsService,
  ) {}

  async register(who: Principal, cmd: RegisterInstitutionCommand): Promise<Institution> {
    const uscc = normaliseUscc(cmd.uscc);
    const problem = validateUscc(uscc);
    if (problem) throw invalidUscc(cmd.uscc, problem);
    requireDistrict(who, cmd.districtCode);
    try {
      return await this.ds.transaction(async (m) => {
        const created = await this.repo.insert(m, { ...cmd, uscc, status: 'operating', createdBy: who.id });
        await this.repo.insertHistory(m, created.id, 'registered', who.id, null, { ...snapshot(created), uscc, districtCode: cmd.districtCode });
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'institutions_uscc_key')) {
        const existing = await this.repo.findByUscc(this.ds.manager, uscc);
        throw institutionAlreadyRegistered(uscc, existing?.id ?? '');
      }
      throw err;
    }
  }

  /** The institution if the caller may act on it in `mode`; 404 otherwise (also for other tenants). */
  async access(who: Principal, id: string, mode: AccessMode, m: EntityManager = this.ds.manager, lock = false): Promise<Institution> {
    return requireInstitutionAccess(who, await this.repo.findById(m, id, lock), mode, () => institutionNotFound(id));
  }

  /** The institution if the caller may see it; 404 otherwise (also for other tenants). */
  getVisible(who: Principal, id: string, m: EntityManager = this.ds.manager): Promise<Institution> {
    return this.access(who, id, 'read', m);
  }

  /** The institution if the caller supervises it (regulator of its district or admin). */
  getSupervised(who: Principal, id: string, m: EntityManager = this.ds.manager, lock = false): Promise<Institution> {
    return this.access(who, id, 'supervise', m, lock);
  }

  /** Internal reads for other modules' rules and jobs (no caller scope: they act for the system). */
  findById(m: EntityManager, id: string): Promise<Institution | null> {
    return this.repo.findById(m, id);
  }

  findByIds(m: EntityManager, ids: string[]): Promise<Institution[]> {
    return this.repo.findByIds(m, ids);
  }

  list(who: Principal, after: string | null, limit: number): Promise<Institution[]> {
    const scope = districtFilter(who);
    return this.repo.listPage(this.ds.manager, scope.districtPatterns, scope.institutionId, after, limit);
  }

  async update(who: Principal, id: string, cmd: UpdateInstitutionCommand): Promise<Institution> {
    // Registered details (the payout account included) can be changed, never cleared.
    const cleared = Object.entries(cmd).filter(([, v]) => v === null).map(([k]) => k);
    if (cleared.length) throw new DomainError('VALIDATION_FAILED', `${cleared.join(', ')} cannot be cleared`, { violations: cleared.map((k) => `${k} cannot be null`) });
    return this.ds.transaction(async (m) => {
      const current = await this.getSupervised(who, id, m, true);
      const changes = Object.fromEntries(
        Object.entries(cmd).filter(([k, v]) => v !== undefined && current[k as MutableInstitutionField] !== v),
      ) as UpdateInstitutionCommand;
      if (Object.keys(changes).length === 0) return current;
      const updated = await this.repo.update(m, id, changes);
      const before = Object.fromEntries(Object.keys(changes).map((k) => [k, current[k as MutableInstitutionField]]));
      await this.repo.insertHistory(m, id, 'updated', who.id, before, changes);
      if (changes.basicAccountBank !== undefined || changes.basicAccountNumber !== undefined) {
        // Releases are paid to this account: a change is how diverted payouts would start, so regulators see each one.
        const historyCount = (await this.repo.history(m, id)).length;
        const from = { bank: current.basicAccountBank, accountNumber: current.basicAccountNumber };
        const to = { bank: updated.basicAccountBank, accountNumber: updated.basicAccountNumber };
        await this.events.raise(m, {
          institutionId: id,
          districtCode: current.districtCode,
          type: 'PAYOUT_ACCOUNT_CHANGED',
          severity: 'warning',
          message: `Payout account changed from ${from.bank ?? '-'} ${from.accountNumber ?? '-'} to ${to.bank ?? '-'} ${to.accountNumber ?? '-'}`,
          details: { from, to, changedBy: who.id },
          dedupeKey: `payout-account:${id}:${historyCount}`,
        });
      }
      if (changes.legalRepresentative !== undefined) {
        // A new legal representative often precedes a closure: regulators want to know.
        const historyCount = (await this.repo.history(m, id)).length;
        await this.events.raise(m, {
          institutionId: id,
          districtCode: current.districtCode,
          type: 'LEGAL_REPRESENTATIVE_CHANGED',
          severity: 'warning',
          message: `Legal representative changed from ${current.legalRepresentative} to ${changes.legalRepresentative}`,
          details: { from: current.legalRepresentative, to: changes.legalRepresentative, changedBy: who.id },
          dedupeKey: `legal-rep:${id}:${historyCount}`,
        });
      }
      return updated;
    });
  }

  /** The institution announces (or the regulator records) a planned closure. */
  async markClosing(who: Principal, id: string, reason: string, plannedClosureDate: string): Promise<Institution> {
    return this.ds.transaction(async (m) => {
      const current = await this.getSupervised(who, id, m, true);
      if (current.status !== 'operating') return current;
      const updated = await this.repo.update(m, id, { status: 'closing' });
      await this.repo.insertHistory(m, id, 'closing', who.id, { status: current.status }, { status: 'closing', reason, plannedClosureDate });
      await this.events.raise(m, {
        institutionId: id,
        districtCode: current.districtCode,
        type: 'CLOSURE_ANNOUNCED',
        severity: 'critical',
        message: `Closure planned for ${plannedClosureDate}: ${reason}`,
        details: { reason, plannedClosureDate },
        dedupeKey: `closing:${id}`,
      });
      return updated;
    });
  }

  /**
   * A completed closure (issue 14): the institution is closed, in the caller's transaction. Only a
   * closing institution closes (its closure was opened first); once closed it stays closed.
   */
  async markClosed(m: EntityManager, id: string, actor: string, reason: string): Promise<Institution> {
    const current = await this.repo.findById(m, id, true);
    if (!current) throw new DomainError('INSTITUTION_NOT_FOUND', `Institution ${id} not found`);
    if (current.status === 'closed') return current;
    if (current.status !== 'closing') throw new DomainError('CONFLICT', `An institution that is ${current.status} is not closed by a closure`, { status: current.status });
    const updated = await this.repo.update(m, id, { status: 'closed' });
    await this.repo.insertHistory(m, id, 'closed', actor, { status: current.status }, { status: 'closed', reason });
    return updated;
  }

  async history(who: Principal, id: string): Promise<HistoryRow[]> {
    await this.getVisible(who, id);
    return this.repo.history(this.ds.manager, id);
  }
}
