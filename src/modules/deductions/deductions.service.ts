import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { ContractRow } from '@modules/contracts/contract.types';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { MovementRow } from '@modules/money-movements/money-movement.types';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { deductionSchedule } from './deduction-schedule';
import { PeriodEvent, requirePeriodEvent, TAKEN_STATES } from './deduction-period-state-machine';
import { DeductionsRepository, PauseRow, PeriodRow, ScheduleRow } from './deductions.repository';

const SOURCE_PREFIX = 'deduction.';

export interface ScheduleView {
  schedule: ScheduleRow | null;
  periods: PeriodRow[];
}

const noSchedule = () => new DomainError('NO_DEDUCTION_SCHEDULE', 'The contract has no deduction schedule');

/**
 * Scheduled bank deductions (银行定期划扣), periodic release: a contract whose policy releases its
 * course on a schedule gets its periods at signing (an exact split of the price); on each due date
 * the daily job instructs a `deduction` movement for the period, once (the movement's source is
 * `deduction.<period id>` and the period records it in the same transaction, under the contract's
 * row lock, which refunds and lesson releases also take). Blocked, never lost: a frozen escrow
 * account, a contract not paid yet, a payer's objection (waits for a regulator's decision). An
 * agreed pause moves the periods not yet due; a refund cancels them.
 */
@Injectable()
export class DeductionsService implements OnModuleInit {
  private readonly logger = new Logger(DeductionsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: DeductionsRepository,
    private readonly contracts: ContractsService,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly institutions: InstitutionsService,
    private readonly ledger: LedgerService,
    private readonly movements: MoneyMovementsService,
    private readonly events: SupervisionEventsService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.contracts.onSigned((m, c) => this.planAtSigning(m, c));
    this.movements.onOutcome(SOURCE_PREFIX, (m, outcome, movement) => this.movementOutcome(m, outcome, movement));
  }

  /** At signing, in its transaction: the schedule of a contract signed under periodic release. */
  async planAtSigning(m: EntityManager, c: ContractRow): Promise<void> {
    if (c.release_cadence.kind !== 'periodic') return;
    const plan = deductionSchedule(Money.fromDb(c.total_price, c.currency), c.start_date, c.end_date, c.release_cadence.frequency);
    await this.repo.insertSchedule(
      m,
      { contract_id: c.id, institution_id: c.institution_id, escrow_account_id: c.escrow_account_id, frequency: c.release_cadence.frequency, total: c.total_price, currency: c.currency },
      plan.map((p) => ({ seq: p.seq, periodFrom: p.periodFrom, periodTo: p.periodTo, dueDate: p.dueDate, amount: p.amount.toString() })),
    );
  }

  // ---- the daily job ----------------------------------------------------------------------------

  /** Every contract with a period due by `today` (missed days included), one transaction each; a failing contract does not stop the others. */
  async runDue(today: string, batch = 100): Promise<{ instructed: number; contracts: number; failed: number }> {
    let instructed = 0;
    let contracts = 0;
    let failed = 0;
    let after: string | null = null;
    for (;;) {
      const ids = await this.repo.contractsDue(this.ds.manager, today, batch, after);
      for (const id of ids) {
        contracts += 1;
        try {
          instructed += await this.ds.transaction((m) => this.instructDue(m, id, today));
        } catch (e) {
          failed += 1;
          this.logger.error(`Deductions of contract ${id} failed: ${(e as Error).message}`);
        }
      }
      if (ids.length < batch) break;
      after = ids[ids.length - 1];
    }
    if (failed) throw new DomainError('INTERNAL_ERROR', `Deductions failed for ${failed} contract(s); the job is retried`, { failed });
    return { instructed, contracts, failed };
  }

  /**
   * Instructs the contract's due periods, in order, in the caller's transaction, under the contract's
   * row lock: a period is instructed once (its state moves with the movement). Nothing while the
   * contract is not paid in (awaiting payment) or its escrow account is frozen; an objected period
   * waits for its decision, and a period the held funds cannot cover waits (with those after it).
   */
  async instructDue(m: EntityManager, contractId: string, today: string): Promise<number> {
    const terms = await this.contracts.releaseTerms(m, contractId, true);
    if (!terms || !['active', 'terminated', 'refunded'].includes(terms.state)) return 0;
    if ((await this.escrowAccounts.find(m, terms.escrow_account_id))?.state !== 'active') return 0;
    const owner = { escrowAccountId: terms.escrow_account_id, institutionId: terms.institution_id, contractId, currency: terms.currency };
    let held = await this.ledger.balanceOf('contract_held', owner, m);
    let instructed = 0;
    for (const p of await this.repo.periods(m, contractId, true)) {
      if (p.due_date > today) break;
      // An objected period waits for its decision; the periods after it go by their own dates.
      if (p.state !== 'scheduled') continue;
      const amount = Money.fromDb(p.amount, terms.currency);
      if (amount.gt(held)) break;
      const { movement } = await this.movements.instruct(m, {
        kind: 'deduction',
        escrowAccountId: terms.escrow_account_id,
        institutionId: terms.institution_id,
        contractId,
        amount,
        sourceRef: `${SOURCE_PREFIX}${p.id}`,
        memo: `deduction ${p.seq} (${p.period_from} to ${p.period_to})`,
      });
      await this.apply(m, p, 'instruct', { movementId: movement.id });
      held = held.minus(amount);
      instructed += 1;
    }
    if (instructed) await this.completeIfDone(m, contractId);
    return instructed;
  }

  // ---- objections, decisions, pauses ---------------------------------------------------------------

  /** The payer objects to a period not yet deducted (the service was not delivered): it waits for a regulator's decision. */
  async object(payerToken: string | undefined, seq: number, reason: string): Promise<PeriodRow> {
    const c = await this.contractForToken(payerToken);
    return this.ds.transaction(async (m) => {
      await this.contracts.lockForUpdate(m, c.id);
      const p = await this.periodOf(m, c.id, seq);
      await this.apply(m, p, 'object', { objection: reason });
      await this.events.raise(m, {
        institutionId: c.institution_id,
        districtCode: (await this.schedule(m, c.id)).district,
        type: 'DEDUCTION_OBJECTED',
        severity: 'warning',
        message: `The payer of contract ${c.reference} objects to deduction period ${seq} (${p.amount} ${c.currency}): ${reason}`,
        details: { contractId: c.id, periodId: p.id, seq, amount: p.amount },
        dedupeKey: `deduction-objected:${p.id}`,
      });
      return (await this.repo.period(m, p.id))!;
    });
  }

  /** A regulator of the district decides an objection: release (the period goes by its schedule, at once when due) or withhold (it stays with the payer's money). */
  async decide(who: Principal, contractId: string, seq: number, decision: 'release' | 'withhold', reason: string): Promise<PeriodRow> {
    const c = await this.contracts.get(who, contractId, 'supervise');
    return this.ds.transaction(async (m) => {
      await this.contracts.lockForUpdate(m, c.id);
      const p = await this.periodOf(m, c.id, seq);
      await this.apply(m, p, decision, { decision, reason, by: who.id });
      if (decision === 'release') await this.instructDue(m, c.id, this.clock.today());
      return (await this.repo.period(m, p.id))!;
    });
  }

  /** The institution proposes a pause (leave of absence); it takes effect when the payer agrees. */
  async proposePause(who: Principal, contractId: string, p: { from: string; days: number; reason: string }): Promise<PauseRow> {
    const c = await this.contracts.get(who, contractId);
    return this.ds.transaction(async (m) => {
      await this.contracts.lockForUpdate(m, c.id);
      await this.schedule(m, c.id);
      if (p.from < this.clock.today()) throw new DomainError('VALIDATION_FAILED', 'A pause starts today or later', { field: 'from' });
      const pause = await this.repo.insertPause(m, { contractId: c.id, from: p.from, days: p.days, reason: p.reason, by: who.id });
      if (!pause) throw new DomainError('PAUSE_ALREADY_PROPOSED', 'A pause already waits for the payer');
      return pause;
    });
  }

  /** The payer agrees to the proposed pause: the periods not yet taken move by its days. */
  async agreePause(payerToken: string | undefined): Promise<{ pause: PauseRow; shifted: number }> {
    const c = await this.contractForToken(payerToken);
    return this.ds.transaction(async (m) => {
      await this.contracts.lockForUpdate(m, c.id);
      const pause = await this.repo.proposedPause(m, c.id);
      if (!pause) throw new DomainError('NO_PAUSE_PROPOSED', 'No pause waits for the payer');
      await this.repo.agreePause(m, pause.id);
      const shifted = await this.repo.shift(m, c.id, pause.pause_from, pause.days);
      return { pause: { ...pause, state: 'agreed' }, shifted };
    });
  }

  // ---- refunds (called by the refunds use case, in its transaction, under the contract's lock) ----------

  /**
   * What a refund must leave to the institution: the periods already taken (instructed, deducted,
   * failed at the bank and owed) and those due by `today` that nobody objected to. Null when the
   * contract has no schedule (its lessons price the refund).
   */
  async keptOnRefund(m: EntityManager, contractId: string, today: string): Promise<Money | null> {
    const s = await this.repo.schedule(m, contractId);
    if (!s) return null;
    return (await this.repo.periods(m, contractId))
      .filter((p) => TAKEN_STATES.includes(p.state) || (p.state === 'scheduled' && p.due_date <= today))
      .reduce((sum, p) => sum.plus(Money.fromDb(p.amount, s.currency)), Money.zero(s.currency));
  }

  /** The refund ends the schedule: every period not due by `today` (and every objected or withheld one) is cancelled; its money is refunded. */
  async cancelOnRefund(m: EntityManager, contractId: string, today: string, reason: string): Promise<number> {
    let n = 0;
    for (const p of await this.repo.periods(m, contractId, true)) {
      const open = p.state === 'objected' || p.state === 'withheld' || (p.state === 'scheduled' && p.due_date > today);
      if (open && (await this.repo.apply(m, p.id, 'cancel', { reason }))) n += 1;
    }
    return n;
  }

  // ---- reads -----------------------------------------------------------------------------------------

  async view(contractId: string): Promise<ScheduleView> {
    const schedule = await this.repo.schedule(this.ds.manager, contractId);
    return { schedule, periods: schedule ? await this.repo.periods(this.ds.manager, contractId) : [] };
  }

  // ---- internals -------------------------------------------------------------------------------------

  /** The bank's result for a period's movement (or its re-instruction), in the callback's transaction. */
  private async movementOutcome(m: EntityManager, outcome: 'executed' | 'failed' | 'reinstructed', movement: MovementRow): Promise<void> {
    const periodId = movement.source_ref.slice(SOURCE_PREFIX.length).split('.')[0];
    // The contract first, then the period: the order the daily job takes them in.
    if (movement.contract_id) await this.contracts.lockForUpdate(m, movement.contract_id);
    const p = await this.repo.period(m, periodId);
    if (!p) return;
    if (outcome === 'reinstructed') {
      await this.repo.apply(m, p.id, 'reinstructed', { movementId: movement.id });
      return;
    }
    await this.repo.apply(m, p.id, outcome);
    if (outcome === 'executed') await this.completeIfDone(m, p.contract_id);
  }

  /** Every period's money went to the institution: the contract is completed (once; only an active one). */
  private async completeIfDone(m: EntityManager, contractId: string): Promise<void> {
    const periods = await this.repo.periods(m, contractId);
    if (periods.length > 0 && periods.every((p) => TAKEN_STATES.includes(p.state))) await this.contracts.markCompleted(m, contractId);
  }

  private async apply(m: EntityManager, p: PeriodRow, event: PeriodEvent, extra: Parameters<DeductionsRepository['apply']>[3] = {}): Promise<void> {
    requirePeriodEvent(p.state, event);
    if (!(await this.repo.apply(m, p.id, event, extra))) requirePeriodEvent('changed meanwhile', event);
  }

  private async periodOf(m: EntityManager, contractId: string, seq: number): Promise<PeriodRow> {
    await this.schedule(m, contractId);
    const p = await this.repo.periodBySeq(m, contractId, seq);
    if (!p) throw new DomainError('NOT_FOUND', `The schedule has no period ${seq}`);
    return p;
  }

  private async schedule(m: EntityManager, contractId: string): Promise<ScheduleRow & { district: string }> {
    const s = await this.repo.schedule(m, contractId);
    if (!s) throw noSchedule();
    const inst = await this.institutions.findById(m, s.institution_id);
    return { ...s, district: inst?.districtCode ?? '' };
  }

  private async contractForToken(token: string | undefined): Promise<ContractRow> {
    const contract = token ? await this.contracts.byPayerToken(token) : null;
    if (!contract) throw new DomainError('INVALID_PAYER_TOKEN', 'Unknown or revoked payer token');
    return contract;
  }
}
