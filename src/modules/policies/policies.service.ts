import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { PoliciesRepository, PolicyRow } from './policies.repository';
import { inheritanceChain, NATIONAL_CODE, PolicyRules } from './policy-rules';

/**
 * Jurisdiction policies: versioned per administrative code, never edited once published, and
 * inherited district → city → province → national. Regulators publish for codes in their scope.
 */
@Injectable()
export class PoliciesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: PoliciesRepository,
  ) {}

  async publish(who: Principal, code: string, effectiveFrom: string, rules: PolicyRules, note: string | null): Promise<PolicyRow> {
    if (!this.mayPublish(who, code)) {
      throw new DomainError('DISTRICT_OUT_OF_SCOPE', `You may not publish a policy for ${code}`, { code });
    }
    if (rules.releaseCadence.kind === 'tranches') {
      const total = (rules.releaseCadence.tranches ?? []).reduce((s, t) => s + t.percent, 0);
      if (total !== 100) throw new DomainError('VALIDATION_FAILED', 'Tranche percentages must add up to 100', { total });
    }
    return this.ds.transaction((m) => this.repo.insertNextVersion(m, code, effectiveFrom, rules, note, who.id));
  }

  /** A regulator publishes for a code it covers exactly or from above (a city regulator for its districts). */
  private mayPublish(who: Principal, code: string): boolean {
    if (who.role === 'admin') return true;
    if (who.role !== 'regulator' || code === NATIONAL_CODE) return false;
    return who.districts.some((s) => s === code || (s.endsWith('0000') ? code.startsWith(s.slice(0, 2)) : s.endsWith('00') ? code.startsWith(s.slice(0, 4)) : false));
  }

  versions(code: string): Promise<PolicyRow[]> {
    return this.repo.versions(this.ds.manager, code);
  }

  async resolve(districtCode: string, date: string, m: EntityManager = this.ds.manager): Promise<PolicyRow> {
    const found = await this.repo.resolve(m, inheritanceChain(districtCode), date);
    if (!found) throw new DomainError('NOT_FOUND', `No policy is in force for ${districtCode} on ${date}`);
    return found;
  }
}
