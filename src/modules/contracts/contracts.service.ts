import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@common/clock';
import { AccessMode, requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { CoursesService } from '@modules/courses/courses.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { PoliciesService } from '@modules/policies/policies.service';
import type { PolicyRules } from '@modules/policies/policy-rules';
import { EligibilityService } from '@modules/supervision/eligibility.service';
import { lessonAllocation, lessonAmount, policyViolations, releaseCadenceFor, Violation } from './contract-rules';
import { CAPS_CHECKED_PER_INSTALMENT, instalmentPlanViolations } from './instalment-plan-rules';
import { nextContractState, PAYABLE_STATES } from './contract-state-machine';
import { CompletionTerms, ContractForConsumption, ContractRow, ReleaseTerms } from './contract.types';
import { ContractsRepository } from './contracts.repository';

export interface SignContractCommand {
  courseId: string;
  payerName: string;
  payerPhone: string;
  payerIdNumber?: string;
  studentName: string;
  lessons: number;
  startDate: string;
  endDate: string;
  totalPrice: string;
  modelContractVersion?: string;
  /** A course longer than the prepaid caps, sold in instalments debited under the payer's mandate. */
  instalmentPlan?: {
    instalments: { coversFrom: string; coversTo: string; lessons: number; amount: string; collectionDate: string }[];
    mandate: { bank: string; accountNumber: string; accountName: string };
  };
}

export const DEFAULT_MODEL_CONTRACT = 'GF-2021-2604';

const contractNotFound = (id: string) => new DomainError('CONTRACT_NOT_FOUND', `Contract ${id} not found`);
const hashToken = (token: string) => createHash('sha256').update(token).digest();
/** ID numbers are never stored in clear: a keyed-free SHA-256 of the normalised number. */
const hashIdNumber = (id: string) => createHash('sha256').update(`payer-id:${id.trim().toUpperCase()}`).digest('hex');

/** Told, in the signing transaction, of a contract just signed (a 422 it throws refuses the contract). */
export type ContractSignedListener = (m: EntityManager, contract: ContractRow, cmd: SignContractCommand, rules: PolicyRules) => Promise<void>;

@Injectable()
export class ContractsService {
  private readonly signedListeners: ContractSignedListener[] = [];

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ContractsRepository,
    private readonly institutions: InstitutionsService,
    private readonly courses: CoursesService,
    private readonly policies: PoliciesService,
    private readonly eligibility: EligibilityService,
    private readonly escrow: EscrowAccountsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Signs a contract under the policy in force for the institution's district today. Every
   * violated rule (and every eligibility reason) comes back in one 422 POLICY_VIOLATION.
   */
  async sign(who: Principal, institutionId: string, cmd: SignContractCommand): Promise<{ contract: ContractRow; payerToken: string }> {
    if (cmd.endDate < cmd.startDate) throw new DomainError('VALIDATION_FAILED', 'endDate is before startDate');
    const today = this.clock.today();
    return this.ds.transaction(async (m) => {
      // Who may sign at all (the institution, an admin) is the endpoint's role list; which institution, the scope rule.
      const inst = await this.institutions.access(who, institutionId, 'read', m);
      const course = await this.courses.get(m, inst.id, cmd.courseId);
      const escrow = await this.escrow.current(m, inst.id);
      const currency = escrow?.currency ?? 'CNY';
      const total = Money.parse(cmd.totalPrice, currency, 'totalPrice');
      if (!total.isPositive()) throw new DomainError('INVALID_AMOUNT', 'totalPrice must be positive');
      const policy = await this.policies.resolve(inst.districtCode, today, m);
      let violations: Violation[] = policyViolations(policy.rules, {
        category: course.category,
        classSizeBand: course.class_size_band,
        lessonMinutes: course.lesson_minutes,
        lessons: cmd.lessons,
        startDate: cmd.startDate,
        endDate: cmd.endDate,
        total,
        today,
      });
      const releaseCadence = releaseCadenceFor(policy.rules, course.kind);
      const periodic = releaseCadence.kind === 'periodic';
      if (cmd.instalmentPlan) {
        // Sold in instalments: the prepaid caps apply to each instalment, not to the whole contract.
        const plan = cmd.instalmentPlan.instalments.map((p, i) => ({ ...p, amount: Money.parse(p.amount, currency, `instalmentPlan.instalments.${i}.amount`) }));
        violations = violations.filter((v) => !CAPS_CHECKED_PER_INSTALMENT.includes(v.code));
        violations.push(...instalmentPlanViolations(policy.rules, { category: course.category, lessons: cmd.lessons, startDate: cmd.startDate, endDate: cmd.endDate, total, today }, plan));
        if (periodic) violations.push({ code: 'INSTALMENTS_WITH_PERIODIC_RELEASE', message: 'A course released on a schedule is not sold in instalments here', limit: 'lesson release', value: 'periodic release' });
      }
      const elig = await this.eligibility.check(m, inst.id);
      for (const r of elig.reasons) violations.push({ code: r.code, message: r.message, limit: 'eligible institution', value: r.code });
      if (violations.length > 0) {
        throw new DomainError('POLICY_VIOLATION', `The contract breaks ${violations.length} rule(s) of policy ${policy.code} v${policy.version}`, {
          policy: { id: policy.id, code: policy.code, version: policy.version },
          violations,
        });
      }
      const token = `pay_${randomBytes(32).toString('base64url')}`;
      const contract = await this.repo.insert(m, {
        reference: `HT${today.replace(/-/g, '')}${randomBytes(4).toString('hex').toUpperCase()}`,
        institutionId: inst.id,
        courseId: course.id,
        escrowAccountId: escrow!.id,
        payerName: cmd.payerName,
        payerPhone: cmd.payerPhone,
        payerIdHash: cmd.payerIdNumber ? hashIdNumber(cmd.payerIdNumber) : null,
        studentName: cmd.studentName,
        lessons: cmd.lessons,
        startDate: cmd.startDate,
        endDate: cmd.endDate,
        totalPrice: total.toString(),
        currency,
        // The terms are the contract's from now on: a later policy version never changes them.
        terms: {
          policyId: policy.id,
          policyCode: policy.code,
          policyVersion: policy.version,
          deemedConfirmationDays: policy.rules.deemedConfirmationWorkingDays,
          releaseCadence,
          refundResponseWorkingDays: policy.rules.refundResponseWorkingDays ?? 5,
          refundDaysBeforeStart: policy.rules.refundDeadlineBeforeStartDays ?? 5,
          refundDaysAfterStart: policy.rules.refundDeadlineAfterStartDays ?? 15,
        },
        modelContractVersion: cmd.modelContractVersion ?? DEFAULT_MODEL_CONTRACT,
        payerTokenHash: hashToken(token),
        createdBy: who.id,
      });
      // Use cases that plan the contract's money (a deduction schedule) do it in the signing transaction.
      for (const listener of this.signedListeners) await listener(m, contract, cmd, policy.rules);
      return { contract, payerToken: token };
    });
  }

  /**
   * A student transferred by a closure (issue 14): a new contract at the receiving institution for
   * the lessons not delivered, priced at exactly the money that moves with them, in the caller's
   * transaction. The payer, student and end date carry over; the terms are the receiving
   * district's policy in force today. No price or prepayment rule is checked again: the lessons
   * were paid under the closing institution's contract and the payer consented; the caller checks
   * that the receiving institution is eligible. Returns the new payer token (shown once).
   */
  async signForTransfer(m: EntityManager, from: ContractRow, to: { institutionId: string; courseId: string; escrowAccountId: string; lessons: number; totalPrice: Money; actor: string }): Promise<{ contract: ContractRow; payerToken: string }> {
    const inst = await this.institutions.findById(m, to.institutionId);
    if (!inst) throw new DomainError('INSTITUTION_NOT_FOUND', `Institution ${to.institutionId} not found`);
    const course = await this.courses.get(m, inst.id, to.courseId);
    const today = this.clock.today();
    const policy = await this.policies.resolve(inst.districtCode, today, m);
    const token = `pay_${randomBytes(32).toString('base64url')}`;
    const startDate = from.start_date > today ? from.start_date : today;
    const contract = await this.repo.insert(m, {
      reference: `HT${today.replace(/-/g, '')}${randomBytes(4).toString('hex').toUpperCase()}`,
      institutionId: inst.id,
      courseId: course.id,
      escrowAccountId: to.escrowAccountId,
      payerName: from.payer_name,
      payerPhone: from.payer_phone,
      payerIdHash: null,
      studentName: from.student_name,
      lessons: to.lessons,
      startDate,
      endDate: from.end_date > startDate ? from.end_date : startDate,
      totalPrice: to.totalPrice.toString(),
      currency: to.totalPrice.currency,
      terms: {
        policyId: policy.id,
        policyCode: policy.code,
        policyVersion: policy.version,
        deemedConfirmationDays: policy.rules.deemedConfirmationWorkingDays,
        // The receiving district's cadence for the receiving course, as at any signing (periodic release included).
        releaseCadence: releaseCadenceFor(policy.rules, course.kind),
        refundResponseWorkingDays: policy.rules.refundResponseWorkingDays ?? 5,
        refundDaysBeforeStart: policy.rules.refundDeadlineBeforeStartDays ?? 5,
        refundDaysAfterStart: policy.rules.refundDeadlineAfterStartDays ?? 15,
      },
      modelContractVersion: from.model_contract_version ?? DEFAULT_MODEL_CONTRACT,
      payerTokenHash: hashToken(token),
      createdBy: to.actor,
    });
    // The same listeners as any signing (a contract under periodic release gets its deduction schedule); no instalment plan is carried over.
    const cmd: SignContractCommand = {
      courseId: course.id,
      payerName: contract.payer_name,
      payerPhone: contract.payer_phone,
      studentName: contract.student_name,
      lessons: contract.lessons,
      startDate: contract.start_date,
      endDate: contract.end_date,
      totalPrice: contract.total_price,
      modelContractVersion: contract.model_contract_version ?? undefined,
    };
    for (const listener of this.signedListeners) await listener(m, contract, cmd, policy.rules);
    return { contract, payerToken: token };
  }

  /** Registers a use case's listener for contracts being signed (at start, once per process). */
  onSigned(listener: ContractSignedListener): void {
    this.signedListeners.push(listener);
  }

  /** The contract if the caller may act on its institution in `mode` (the one scope rule); 404 CONTRACT_NOT_FOUND otherwise. */
  async get(who: Principal, id: string, mode: AccessMode = 'read', m: EntityManager = this.ds.manager): Promise<ContractRow> {
    const c = await this.repo.findById(m, id);
    const inst = c ? await this.institutions.findById(m, c.institution_id) : null;
    requireInstitutionAccess(who, inst, mode, () => contractNotFound(id));
    return c!;
  }

  async list(who: Principal, institutionId: string, limit: number, after: string | null): Promise<ContractRow[]> {
    await this.institutions.access(who, institutionId, 'read');
    return this.repo.listForInstitution(this.ds.manager, institutionId, limit, after);
  }

  async revokePayerToken(who: Principal, id: string): Promise<ContractRow> {
    const c = await this.get(who, id);
    await this.repo.revokeToken(this.ds.manager, c.id);
    return (await this.repo.findById(this.ds.manager, c.id))!;
  }

  /** The contract a payer token opens (for the payer's own actions); null when unknown or revoked. */
  byPayerToken(token: string): Promise<ContractRow | null> {
    return this.repo.findByPayerToken(this.ds.manager, hashToken(token));
  }

  /** Lesson amounts: an exact allocation of the total, the last lesson taking the remainder. */
  static lessonAmounts(c: ContractRow): { count: number; regular: string; last: string } {
    return lessonAllocation(Money.fromDb(c.total_price, c.currency), c.lessons);
  }

  // ---- operations for other modules, in the caller's transaction ----------------------------

  /** The contract a bank credit names by its reference, locked, if it may still be paid into. */
  async findPayableByReference(m: EntityManager, escrowAccountId: string, reference: string): Promise<ContractRow | null> {
    const c = await this.repo.findByReferenceForUpdate(m, escrowAccountId, reference);
    return c && PAYABLE_STATES.includes(c.state) ? c : null;
  }

  /** What is still due on a contract. */
  static amountDue(c: ContractRow): Money {
    return Money.fromDb(c.total_price, c.currency).minus(Money.fromDb(c.amount_paid, c.currency));
  }

  /**
   * Records money paid in (already posted to the ledger by the caller in the same transaction)
   * and activates the contract once paid in full. Returns the contract's state afterwards.
   */
  async recordFunding(m: EntityManager, c: ContractRow, applied: Money, opts: { instalment?: boolean } = {}): Promise<ContractRow['state']> {
    await this.repo.addPaidIn(m, c.id, applied.toString());
    const paidInFull = Money.fromDb(c.amount_paid, c.currency).plus(applied).eq(Money.fromDb(c.total_price, c.currency));
    if (c.state !== 'awaiting_payment') return c.state;
    if (!paidInFull && opts.instalment) {
      // Sold in instalments: the first instalment paid starts the contract (lessons are limited to what is paid).
      await this.repo.applyEvent(m, c.id, 'instalment_paid');
      return nextContractState(c.state, 'instalment_paid');
    }
    if (!paidInFull) return c.state;
    const to = nextContractState(c.state, 'paid_in_full');
    await this.repo.applyEvent(m, c.id, 'paid_in_full');
    return to;
  }

  /** Locks the contracts (id order) for consuming lessons, with their terms, in one statement. */
  lockForConsumption(m: EntityManager, ids: string[]): Promise<ContractForConsumption[]> {
    return this.repo.lockForConsumption(m, ids);
  }

  /**
   * Consumes the next lesson of each (locked) contract, in one statement for the whole
   * session, and returns each lesson's amount by the remainder rule.
   */
  async consumeNextLessons(m: EntityManager, contracts: ContractForConsumption[]): Promise<Map<string, Money>> {
    const amounts = new Map<string, Money>();
    for (const c of contracts) {
      amounts.set(c.id, lessonAmount(Money.fromDb(c.total_price, c.currency), c.lessons, c.lessons_consumed, Money.fromDb(c.amount_consumed, c.currency)));
    }
    await this.repo.consume(m, contracts.map((c) => ({ id: c.id, amount: amounts.get(c.id)!.toString(), delta: 1 as const })));
    return amounts;
  }

  /** A withdrawn lesson goes back to its contract (its amount with it). */
  async returnLesson(m: EntityManager, contractId: string, amount: Money): Promise<void> {
    await this.repo.lockForConsumption(m, [contractId]);
    await this.repo.consume(m, [{ id: contractId, amount: amount.toString(), delta: -1 }]);
  }

  async releaseTerms(m: EntityManager, contractId: string, lock = false): Promise<ReleaseTerms | null> {
    return (await this.repo.releaseTerms(m, [contractId], lock))[0] ?? null;
  }

  /** Release terms of several contracts (unlocked), e.g. to net a week's released lessons. */
  releaseTermsOf(m: EntityManager, contractIds: string[]): Promise<ReleaseTerms[]> {
    return contractIds.length ? this.repo.releaseTerms(m, contractIds, false) : Promise.resolve([]);
  }

  /** Active after-completion contracts with every lesson consumed, and their waiting time in working days. */
  awaitingCompletion(m: EntityManager = this.ds.manager): Promise<CompletionTerms[]> {
    return this.repo.awaitingCompletion(m);
  }

  /** All its lessons are released: active → completed (once; false when it was not active). */
  markCompleted(m: EntityManager, contractId: string): Promise<boolean> {
    return this.repo.applyEvent(m, contractId, 'all_lessons_released');
  }

  /** The contract, locked (a refund decision, a suspense item applied to it): lessons and releases of the contract wait for it (and it for them). */
  lockForUpdate(m: EntityManager, contractId: string): Promise<ContractRow | null> {
    return this.repo.findForUpdate(m, contractId);
  }

  /**
   * The payer stopped future instalments: the contract shortens to the instalments collected (or on
   * their way), in the caller's transaction under its lock; a paid-up contract is active from then
   * on (its lessons are all paid). Refused (422) below what is consumed or paid.
   */
  async shorten(m: EntityManager, contractId: string, t: { lessons: number; totalPrice: Money; endDate: string }): Promise<void> {
    if (!(await this.repo.shorten(m, contractId, { lessons: t.lessons, totalPrice: t.totalPrice.toString(), endDate: t.endDate }))) {
      throw new DomainError('CONFLICT', 'The contract cannot be shortened below what is consumed or paid', { contractId, ...t, totalPrice: t.totalPrice.toString() });
    }
  }

  /** A refund was approved: the contract stops consuming lessons (awaiting payment or active → terminated). False when it was neither. */
  terminate(m: EntityManager, contractId: string): Promise<boolean> {
    return this.repo.applyEvent(m, contractId, 'terminate');
  }

  /** The bank paid the refund: terminated → refunded (once). */
  markRefunded(m: EntityManager, contractId: string): Promise<boolean> {
    return this.repo.applyEvent(m, contractId, 'refunded');
  }

  /** Contracts of an institution in these states (id order), e.g. those a closure must refund. */
  idsInStates(institutionId: string, states: ContractRow['state'][], m: EntityManager = this.ds.manager): Promise<string[]> {
    return this.repo.idsInStates(m, institutionId, states);
  }

  /** Contracts of an institution in a state under a release cadence (e.g. active tranche contracts). */
  idsWithCadence(institutionId: string, state: ContractRow['state'], cadence: ReleaseTerms['cadence']['kind'], m: EntityManager = this.ds.manager): Promise<string[]> {
    return this.repo.idsWithCadence(m, institutionId, state, cadence);
  }
}
