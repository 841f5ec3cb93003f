import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { BankCreditsService } from '@modules/bank-credits/bank-credits.service';
import { CalendarService } from '@modules/calendar/calendar.service';
import { ContractRow } from '@modules/contracts/contract.types';
import { ContractsService } from '@modules/contracts/contracts.service';
import { DeductionsService } from '@modules/deductions/deductions.service';
import { InstalmentsService } from '@modules/instalments/instalments.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LessonReleaseService } from '@modules/lessons/lesson-release.service';
import { MovementRow } from '@modules/money-movements/money-movement.types';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { refundAmount, RefundComputation, refundPayBy, scheduledRefund } from './refund-amounts';
import { canApplyRefund, nextRefundState, RefundEvent } from './refund-state-machine';
import { Computed, RefundRow, RefundsRepository } from './refunds.repository';

export const refundNotFound = (id: string) => new DomainError('REFUND_NOT_FOUND', `Refund ${id} not found`);
const SOURCE_PREFIX = 'refund.';

/** A contract may be refunded while it may still consume lessons (or be paid into). */
const REFUNDABLE = ['awaiting_payment', 'active'];

export type Decision = { decision: 'full'; reason: string } | { decision: 'partial'; amount: string; reason: string } | { decision: 'refuse'; reason: string };

/**
 * Refunds (退费): a payer asks with the contract's token for the whole remainder; the amount is
 * computed (refund-amounts.ts), never typed. The institution approves or contests within the
 * policy's working days; silence is approval (RefundDeadlinesJob); a contested request goes to
 * the district's regulator. Approval, under the contract's row lock: the contract stops
 * consuming lessons, the amount is computed again from what is consumed now and moves held →
 * refund payable with the refund movement, delivered to the payer's original account by the
 * settlements delivery like every movement, from a frozen escrow account too. The bank's result
 * reaches the refund through the movement's outcome listener.
 */
@Injectable()
export class RefundsService implements OnModuleInit {
  private readonly logger = new Logger(RefundsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: RefundsRepository,
    private readonly contracts: ContractsService,
    private readonly institutions: InstitutionsService,
    private readonly credits: BankCreditsService,
    private readonly calendar: CalendarService,
    private readonly movements: MoneyMovementsService,
    private readonly releases: LessonReleaseService,
    private readonly events: SupervisionEventsService,
    private readonly ledger: LedgerService,
    private readonly deductions: DeductionsService,
    private readonly instalments: InstalmentsService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.movements.onOutcome(SOURCE_PREFIX, (m, outcome, movement) => this.movementOutcome(m, outcome, movement));
    this.releases.onWithdrawnAfterRefund((m, w) => this.withdrawnAfterApproval(m, w));
  }

  // ---- the payer ---------------------------------------------------------------------------

  async request(payerToken: string, reason: string): Promise<{ refund: RefundRow; contract: ContractRow }> {
    const found = await this.contractForToken(payerToken);
    return this.ds.transaction(async (m) => {
      const contract = (await this.contracts.lockForUpdate(m, found.id))!;
      const computation = await this.refundable(m, contract);
      const payee = await this.payerAccount(m, contract.id);
      if (!payee) throw new DomainError('REFUND_PAYER_ACCOUNT_UNKNOWN', 'No payment into this contract named the account it came from; the refund has no original channel to go back to');
      const inst = (await this.institutions.findById(m, contract.institution_id))!;
      const today = this.clock.today();
      const respondBy = (await this.calendar.workingDays(m)).add(today, contract.refund_response_working_days);
      const refund = await this.repo.insert(m, {
        contractId: contract.id,
        institutionId: inst.id,
        escrowAccountId: contract.escrow_account_id,
        districtCode: inst.districtCode,
        currency: contract.currency,
        reason,
        requestedBy: 'payer',
        respondBy,
        computation: stored(computation),
        payee,
      });
      if (!refund) {
        const open = await this.repo.openOf(m, contract.id);
        throw new DomainError('REFUND_ALREADY_OPEN', 'This contract already has a refund request waiting for an answer', { refundId: open?.id ?? null, state: open?.state ?? null });
      }
      return { refund, contract };
    });
  }

  /** The payer's view: the contract's refunds, and what a refund would be now. */
  async forPayer(payerToken: string): Promise<{ contract: ContractRow; refunds: RefundRow[]; quote: RefundComputation | null }> {
    const contract = await this.contractForToken(payerToken);
    const refunds = await this.repo.ofContract(this.ds.manager, contract.id);
    return { contract, refunds, quote: REFUNDABLE.includes(contract.state) ? await this.computation(this.ds.manager, contract) : null };
  }

  // ---- the institution, the regulator --------------------------------------------------------

  async get(who: Principal, id: string, m: EntityManager = this.ds.manager): Promise<RefundRow> {
    const r = await this.repo.find(m, id);
    const inst = r ? await this.institutions.findById(m, r.institution_id) : null;
    requireInstitutionAccess(who, inst, 'read', () => refundNotFound(id));
    return r!;
  }

  async list(who: Principal, institutionId: string, state: string | null): Promise<RefundRow[]> {
    await this.institutions.access(who, institutionId, 'read');
    return this.repo.ofInstitution(this.ds.manager, institutionId, state, 200);
  }

  /** The institution (or an admin) approves: the refund is computed again now and instructed. */
  approve(who: Principal, id: string): Promise<RefundRow> {
    return this.ds.transaction(async (m) => {
      const r = await this.locked(who, id, 'read', m);
      nextRefundState(r.state, 'approve');
      return this.applyApproval(m, r, 'approve', { approval: who.role === 'admin' ? 'admin' : 'institution', decidedBy: who.id });
    });
  }

  /** The institution contests: the district's regulators decide. */
  contest(who: Principal, id: string, reason: string): Promise<RefundRow> {
    return this.ds.transaction(async (m) => {
      const r = await this.locked(who, id, 'read', m);
      nextRefundState(r.state, 'contest');
      await this.repo.apply(m, r.id, 'contest', { contest_reason: reason });
      await this.events.raise(m, {
        institutionId: r.institution_id,
        districtCode: r.district_code,
        type: 'REFUND_CONTESTED',
        severity: 'warning',
        message: `The institution contests refund ${r.id} (${r.computed_amount} ${r.currency}): ${reason}`,
        details: { refundId: r.id, contractId: r.contract_id, reason },
        dedupeKey: `refund-contested:${r.id}`,
      });
      return (await this.repo.find(m, r.id))!;
    });
  }

  /** The district's regulator (or an admin) decides a contested request: full, partial (an amount and a reason) or refuse. */
  decide(who: Principal, id: string, d: Decision): Promise<RefundRow> {
    return this.ds.transaction(async (m) => {
      const r = await this.locked(who, id, 'supervise', m);
      if (d.decision === 'refuse') {
        nextRefundState(r.state, 'refuse');
        await this.repo.apply(m, r.id, 'refuse', { decision: 'refuse', decision_reason: d.reason, decided_by: who.id });
        return (await this.repo.find(m, r.id))!;
      }
      nextRefundState(r.state, 'decide');
      const partial = d.decision === 'partial' ? Money.parse(d.amount, r.currency, 'amount', { positive: true }) : null;
      return this.applyApproval(m, r, 'decide', { approval: who.role === 'admin' ? 'admin' : 'regulator', decidedBy: who.id, decision: d.decision, reason: d.reason, partial });
    });
  }

  /**
   * A closure refunds the contract without asking anyone: approved at once (approval `closure`).
   * A payer's open request is approved instead of a new one. Locks the open request first, then the
   * contract, the order every approval takes. Throws (nothing written) when it cannot be refunded.
   * `share`: the closure's pro rata share when it is below the full refund.
   */
  async refundForClosure(m: EntityManager, contractId: string, reason: string, share?: Money): Promise<RefundRow> {
    let r = await this.repo.openOf(m, contractId, true);
    const contract = (await this.contracts.lockForUpdate(m, contractId))!;
    if (!r) {
      const computation = await this.refundable(m, contract);
      const payee = await this.payerAccount(m, contract.id);
      if (!payee) throw new DomainError('REFUND_PAYER_ACCOUNT_UNKNOWN', 'No payment into this contract named the account it came from');
      const inst = (await this.institutions.findById(m, contract.institution_id))!;
      r = await this.repo.insert(m, {
        contractId: contract.id,
        institutionId: inst.id,
        escrowAccountId: contract.escrow_account_id,
        districtCode: inst.districtCode,
        currency: contract.currency,
        reason,
        requestedBy: 'closure',
        respondBy: this.clock.today(),
        computation: stored(computation),
        payee,
      });
      if (!r) throw new DomainError('REFUND_ALREADY_OPEN', 'A refund request was opened meanwhile');
    }
    const event = r.state === 'contested' ? 'decide' : 'approve';
    // A closure short of cash pays each payer a pro rata share of the refund (the rest stays owed, recorded by the closure).
    const partial = share && share.lt((await this.computation(m, contract)).refund) ? share : null;
    const decision = partial ? 'partial' : event === 'decide' ? 'full' : undefined;
    return this.applyApproval(m, r, event, { approval: 'closure', decidedBy: 'closure', decision, reason, partial });
  }

  // ---- jobs ------------------------------------------------------------------------------------

  /**
   * Silence is approval: requests past their response window, each approved exactly once (claimed
   * with SKIP LOCKED, the change guarded by the state machine), each in its own transaction so one
   * that cannot be approved does not hold back the others (it is logged and retried next run).
   */
  async deemDue(today: string, limit: number, after: string | null = null): Promise<{ deemed: number; lapsed: number; failed: number; last: string | null; seen: number }> {
    const due = await this.repo.dueForDeemedApproval(this.ds.manager, today, limit, after);
    let deemed = 0;
    let lapsed = 0;
    let failed = 0;
    for (const { id } of due) {
      try {
        const state = await this.ds.transaction(async (m) => {
          const r = await this.repo.claimRequested(m, id);
          return r ? (await this.applyApproval(m, r, 'deem', { approval: 'deemed', decidedBy: 'system' })).state : null;
        });
        if (state === 'approved') deemed += 1;
        else if (state === 'refused') lapsed += 1;
      } catch (err) {
        failed += 1;
        this.logger.error(`Deemed approval of refund ${id} failed: ${(err as Error).message}`);
      }
    }
    return { deemed, lapsed, failed, last: due.at(-1)?.id ?? null, seen: due.length };
  }

  /** Approved refunds not paid by their day: one supervision event each. */
  async raiseOverdue(today: string, limit: number): Promise<number> {
    return this.ds.transaction(async (m) => {
      const overdue = await this.repo.claimOverdue(m, today, limit);
      for (const r of overdue) {
        await this.events.raise(m, {
          institutionId: r.institution_id,
          districtCode: r.district_code,
          type: 'REFUND_OVERDUE',
          severity: 'critical',
          message: `Refund ${r.id} of ${r.amount} ${r.currency} was due by ${r.pay_by} and is ${r.state === 'failed' ? 'failed at the bank' : 'not paid yet'}`,
          details: { refundId: r.id, contractId: r.contract_id, payBy: r.pay_by, state: r.state, movementId: r.movement_id },
          dedupeKey: `refund-overdue:${r.id}`,
        });
      }
      return overdue.length;
    });
  }

  // ---- internals --------------------------------------------------------------------------------

  /**
   * Approval, whoever gives it. Under the contract's row lock (lessons and releases of the
   * contract take the same lock): the amount is computed again from what is consumed now, the
   * contract is terminated (no lesson is consumed afterwards), and the refund movement posts held
   * → refund payable and goes to the bank. A partial decision leaves the rest of the undelivered
   * money to the institution, released like the remainder of a refunded contract. A contract that
   * can no longer be refunded (completed meanwhile, nothing left) is 422 for a person, and ends
   * the request (lapse → refused) for the deemed-approval job.
   */
  private async applyApproval(
    m: EntityManager,
    r: RefundRow,
    event: RefundEvent,
    how: { approval: RefundRow['approval']; decidedBy: string; decision?: 'full' | 'partial'; reason?: string; partial?: Money | null },
  ): Promise<RefundRow> {
    const contract = (await this.contracts.lockForUpdate(m, r.contract_id))!;
    const computation = REFUNDABLE.includes(contract.state) ? await this.computation(m, contract) : null;
    if (!computation || !computation.refund.isPositive()) {
      const why = computation ? 'nothing is left to refund' : `the contract is ${contract.state}`;
      // The job cannot ask anyone: the request ends. A person gets the reason and may refuse it.
      if (event === 'deem') {
        await this.repo.apply(m, r.id, 'lapse', { decision: 'refuse', decision_reason: `system: ${why}`, decided_by: 'system' });
        return (await this.repo.find(m, r.id))!;
      }
      throw new DomainError(computation ? 'NOTHING_TO_REFUND' : 'REFUND_NOT_POSSIBLE', `The refund cannot be approved: ${why}`, { contractState: contract.state });
    }
    if (how.partial && !how.partial.lt(computation.refund)) {
      throw new DomainError('INVALID_REFUND_AMOUNT', `A partial refund is less than the full refund of ${computation.refund}`, { amount: how.partial.toString(), full: computation.refund.toString() });
    }
    const amount = how.partial ?? computation.refund;
    // A cadence that released ahead of delivery (front-loaded tranches) may hold less than the lessons not
    // delivered: the refund is never taken from elsewhere; regulators are told, the request stays as it is.
    const owner = { escrowAccountId: contract.escrow_account_id, institutionId: contract.institution_id, contractId: contract.id, currency: contract.currency };
    const held = await this.ledger.balanceOf('contract_held', owner, m);
    if (amount.gt(held)) await this.shortOfHeld(r, amount, held);
    await this.contracts.terminate(m, contract.id);
    // A deduction schedule ends: its periods not yet due are cancelled (their money is in this refund).
    await this.deductions.cancelOnRefund(m, contract.id, this.clock.today(), `refund ${r.id}`);
    const { movement } = await this.movements.instruct(m, {
      kind: 'refund',
      escrowAccountId: contract.escrow_account_id,
      institutionId: contract.institution_id,
      contractId: contract.id,
      amount,
      payee: { bank: r.payee_bank, accountNumber: r.payee_account_number, accountName: r.payee_account_name },
      sourceRef: `${SOURCE_PREFIX}${r.id}`,
      memo: `refund ${r.id} (${how.approval})`,
    });
    const payBy = refundPayBy(this.clock.today(), computation.phase, { daysBeforeStart: contract.refund_days_before_start, daysAfterStart: contract.refund_days_after_start });
    const applied = await this.repo.apply(m, r.id, event, {
      ...prefix(stored(computation)),
      amount: amount.toString(),
      approval: how.approval,
      decided_by: how.decidedBy,
      decision: how.decision ?? null,
      decision_reason: how.reason ?? null,
      pay_by: payBy,
      movement_id: movement.id,
    });
    if (!applied) throw new DomainError('INVALID_REFUND_TRANSITION', `Refund ${r.id} was answered meanwhile`, { refundId: r.id });
    // What is still held now belongs to the institution (delivered lessons, the rest of a partial refund).
    await this.releases.releaseAfterTermination(m, contract.id);
    return (await this.repo.find(m, r.id))!;
  }

  /**
   * A lesson the refund counted as consumed was withdrawn afterwards (a dispute upheld): its money
   * was not delivered, so it follows the refund to the payer's account as a movement of its own,
   * linked to the refund by its source (`refund.<refund>.lesson.<lesson>`, once per lesson).
   */
  private async withdrawnAfterApproval(m: EntityManager, w: { contractId: string; lessonId: string; amount: Money }): Promise<void> {
    const r = await this.repo.approvedOf(m, w.contractId);
    if (!r || !w.amount.isPositive()) return;
    await this.movements.instruct(m, {
      kind: 'refund',
      escrowAccountId: r.escrow_account_id,
      institutionId: r.institution_id,
      contractId: r.contract_id,
      amount: w.amount,
      payee: { bank: r.payee_bank, accountNumber: r.payee_account_number, accountName: r.payee_account_name },
      sourceRef: `${SOURCE_PREFIX}${r.id}.lesson.${w.lessonId}`,
      memo: `refund ${r.id}: lesson ${w.lessonId} withdrawn after the refund`,
    });
  }

  /**
   * The bank executed or failed the refund movement (in the callback's transaction), or a failed
   * one was sent again (the refund follows its new movement).
   */
  private async movementOutcome(m: EntityManager, outcome: 'executed' | 'failed' | 'reinstructed', movement: MovementRow): Promise<void> {
    const r = await this.repo.byMovement(m, outcome === 'reinstructed' ? movement.reinstructs_id! : movement.id);
    if (!r || !canApplyRefund(r.state, outcome)) return;
    await this.repo.apply(m, r.id, outcome, outcome === 'reinstructed' ? { movement_id: movement.id } : {});
    // Paid: the contract's refund is done (terminated → refunded). Failed: the money stays payable to the payer (the callback raised the exception).
    if (outcome === 'executed') await this.contracts.markRefunded(m, r.contract_id);
  }

  /** Raised in its own transaction (the approval rolls back): one REFUND_BLOCKED event per refund, then 422. */
  private async shortOfHeld(r: RefundRow, amount: Money, held: Money): Promise<never> {
    const details = { refundId: r.id, contractId: r.contract_id, refund: amount.toString(), held: held.toString(), shortfall: amount.minus(held).toString() };
    await this.ds.transaction((m) =>
      this.events.raise(m, {
        institutionId: r.institution_id,
        districtCode: r.district_code,
        type: 'REFUND_BLOCKED',
        severity: 'critical',
        message: `Refund ${r.id} of ${amount} ${r.currency} exceeds the ${held} still held for its contract (released ahead of delivery)`,
        details,
        dedupeKey: `refund-blocked:${r.id}`,
      }),
    );
    throw new DomainError('REFUND_EXCEEDS_HELD', `The refund (${amount}) is more than is still held for the contract (${held}); regulators are told`, details);
  }

  private async refundable(m: EntityManager, contract: ContractRow): Promise<RefundComputation> {
    if (!REFUNDABLE.includes(contract.state)) {
      throw new DomainError('REFUND_NOT_POSSIBLE', `A contract that is ${contract.state} cannot be refunded`, { contractState: contract.state });
    }
    const computation = await this.computation(m, contract);
    if (!computation.refund.isPositive()) throw new DomainError('NOTHING_TO_REFUND', 'Nothing paid in is left for lessons not consumed', { computation: view(computation) });
    return computation;
  }

  private async locked(who: Principal, id: string, mode: 'read' | 'supervise', m: EntityManager): Promise<RefundRow> {
    const r = await this.repo.find(m, id, true);
    const inst = r ? await this.institutions.findById(m, r.institution_id) : null;
    requireInstitutionAccess(who, inst, mode, () => refundNotFound(id));
    return r!;
  }

  /** The original channel: the account of the contract's earliest credit that named one, else the mandate its instalments were debited under. */
  private async payerAccount(m: EntityManager, contractId: string) {
    return (await this.credits.originalPayerAccount(m, contractId)) ?? (await this.instalments.mandateAccount(m, contractId));
  }

  /**
   * The refund as the contract stands, the one amount every refund of it pays (a payer's request,
   * its approval, a closure's plan, claim and owed): lessons not consumed, or, for a contract under a
   * deduction schedule, what was paid in less what its schedule took or owes the institution.
   */
  async computation(m: EntityManager, contract: ContractRow): Promise<RefundComputation> {
    const kept = await this.deductions.keptOnRefund(m, contract.id, this.clock.today());
    return kept ? scheduledRefund(computationOf(contract), kept) : computationOf(contract);
  }

  private async contractForToken(token: string | undefined): Promise<ContractRow> {
    const contract = token ? await this.contracts.byPayerToken(token) : null;
    if (!contract) throw new DomainError('INVALID_PAYER_TOKEN', 'Unknown or revoked payer token');
    return contract;
  }
}

/** The refund of a contract as it stands (its allocation, what it consumed, what was paid in). */
export function computationOf(c: ContractRow): RefundComputation {
  return refundAmount({
    total: Money.fromDb(c.total_price, c.currency),
    lessons: c.lessons,
    lessonsConsumed: c.lessons_consumed,
    consumedAmount: Money.fromDb(c.amount_consumed, c.currency),
    paidIn: Money.fromDb(c.amount_paid, c.currency),
  });
}

/** The computation as the payer reads it. */
export function view(c: RefundComputation) {
  return {
    phase: c.phase,
    lessons: c.lessons,
    lessonsConsumed: c.lessonsConsumed,
    consumedAmount: c.consumedAmount.toString(),
    remainingLessons: c.remainingLessons,
    paidIn: c.paidIn.toString(),
    refund: c.refund.toString(),
  };
}

function stored(c: RefundComputation): Computed {
  return { phase: c.phase, lessons: c.lessons, lessonsConsumed: c.lessonsConsumed, consumedAmount: c.consumedAmount.toString(), paidIn: c.paidIn.toString(), computedAmount: c.refund.toString() };
}

/** The computation's columns, for the approval's UPDATE. */
function prefix(c: Computed) {
  return { phase: c.phase, lessons_consumed: c.lessonsConsumed, consumed_amount: c.consumedAmount, paid_in: c.paidIn, computed_amount: c.computedAmount };
}
