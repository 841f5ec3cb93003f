import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isAdministrativeCode, requireDistrict } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { PoliciesRepository, PolicyRow } from './policies.repository';
import { inheritanceChain, NATIONAL_CODE, PolicyRules, releaseCadenceProblems } from './policy-rules';

/**
 * Jurisdiction policies: versioned per administrative code, never edited once published, and
 * inherited district → city → province → national. Regulators publish for codes in their scope.
 */
@Injectable()
export class PoliciesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: PoliciesRepository,
    private readonly clock: Clock,
  ) {}

  async publish(who: Principal, code: string, effectiveFrom: string, rules: PolicyRules, note: string | null): Promise<PolicyRow> {
    // A regulator publishes for a code it covers (a city regulator for its districts); the national default is the admins'.
    if (code === NATIONAL_CODE && who.role !== 'admin') throw new DomainError('DISTRICT_NOT_FOUND', `District ${code} not found`, { districtCode: code });
    requireDistrict(who, code);
    // Contracts keep the version they were signed under, but "which rules were in force on a
    // past day" must not change after the fact: a new version takes effect today at the earliest.
    const today = this.clock.today();
    if (effectiveFrom < today) {
      throw new DomainError('POLICY_EFFECTIVE_IN_PAST', `effectiveFrom ${effectiveFrom} is in the past; a policy takes effect today (${today}) at the earliest`, { effectiveFrom, today });
    }
    // Contracts copy the cadence at signing and the release jobs trust it: a malformed one must never be published.
    const problems = releaseCadenceProblems(rules.releaseCadence as unknown as Record<string, unknown>);
    if (problems.length) throw new DomainError('INVALID_RELEASE_CADENCE', `rules.releaseCadence: ${problems.join('; ')}`, { field: 'rules.releaseCadence', problems });
    return this.ds.transaction((m) => this.repo.insertNextVersion(m, code, effectiveFrom, rules, note, who.id));
  }

  versions(code: string): Promise<PolicyRow[]> {
    if (!isAdministrativeCode(code)) throw new DomainError('INVALID_DISTRICT_CODE', 'Policy codes are 6-digit administrative codes', { code: code.slice(0, 40) });
    return this.repo.versions(this.ds.manager, code);
  }

  async resolve(districtCode: string, date: string, m: EntityManager = this.ds.manager): Promise<PolicyRow> {
    const found = await this.repo.resolve(m, inheritanceChain(districtCode), date);
    if (!found) throw new DomainError('NOT_FOUND', `No policy is in force for ${districtCode} on ${date}`);
    return found;
  }
}
