import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { PAYABLE_STATES } from '@modules/contracts/contract-state-machine';
import { ContractRow } from '@modules/contracts/contract.types';
import { ContractsService, SignContractCommand } from '@modules/contracts/contracts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { MovementRow } from '@modules/money-movements/money-movement.types';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { DEFAULT_INSTALMENT_DEBITS, PolicyRules } from '@modules/policies/policy-rules';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { afterFailedTry, InstalmentEvent, requireInstalmentEvent } from './instalment-state-machine';
import { InstalmentRow, InstalmentsRepository, PlanRow } from './instalments.repository';

const SOURCE_PREFIX = 'debit.';
/** A late debit's return (not `debit.`: the instalments' own listener must not see it; not `refund.`: no refund request owns it). */
const RETURN_PREFIX = 'debit-return.';

export interface InstalmentView {
  plan: PlanRow | null;
  instalments: InstalmentRow[];
}

/**
 * Instalment debits (分期扣款): a contract sold in instalments keeps its plan and the payer's
 * mandate from signing; the daily job tells the payer the policy's days before each debit and
 * instructs a `debit` movement on the collection date (delivered, signed and retried like every
 * movement). The bank's result reaches the instalment through the movement outcome listener, in the
 * callback's transaction: executed, the kind posted bank cash → held (funding) and the payment is
 * recorded on the contract in the same transaction; failed, it is tried again after the policy's
 * delay, then the instalment fails and both sides are told. The payer may stop future debits.
 */
@Injectable()
export class InstalmentsService implements OnModuleInit {
  private readonly logger = new Logger(InstalmentsService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: InstalmentsRepository,
    private readonly contracts: ContractsService,
    private readonly institutions: InstitutionsService,
    private readonly movements: MoneyMovementsService,
    private readonly events: SupervisionEventsService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.contracts.onSigned((m, c, cmd, rules) => this.planAtSigning(m, c, cmd, rules));
    this.movements.onOutcome(SOURCE_PREFIX, (m, outcome, movement) => this.movementOutcome(m, outcome, movement));
  }

  /** At signing, in its transaction (the contracts module checked the plan against the caps): the plan, its instalments and the mandate. */
  async planAtSigning(m: EntityManager, c: ContractRow, cmd: SignContractCommand, rules: PolicyRules): Promise<void> {
    if (!cmd.instalmentPlan) return;
    const terms = rules.instalmentDebits ?? DEFAULT_INSTALMENT_DEBITS;
    await this.repo.insertPlan(
      m,
      {
        contract_id: c.id,
        institution_id: c.institution_id,
        escrow_account_id: c.escrow_account_id,
        currency: c.currency,
        pre_notification_days: terms.preNotificationDays,
        retries: terms.retries,
        retry_delay_days: terms.retryDelayDays,
      },
      cmd.instalmentPlan.mandate,
      cmd.instalmentPlan.instalments.map((p, i) => ({ seq: i + 1, ...p, amount: Money.parse(p.amount, c.currency).toString() })),
    );
  }

  // ---- the daily job ----------------------------------------------------------------------------

  async runDue(today: string, batch = 100): Promise<{ notified: number; instructed: number; failed: number }> {
    let notified = 0;
    let instructed = 0;
    let failed = 0;
    let after: string | null = null;
    for (;;) {
      const ids = await this.repo.contractsWithWork(this.ds.manager, today, batch, after);
      for (const id of ids) {
        try {
          const r = await this.ds.transaction((m) => this.work(m, id, today));
          notified += r.notified;
          instructed += r.instructed;
        } catch (e) {
          failed += 1;
          this.logger.error(`Instalments of contract ${id} failed: ${(e as Error).message}`);
        }
      }
      if (ids.length < batch) break;
      after = ids[ids.length - 1];
    }
    if (failed) throw new DomainError('INTERNAL_ERROR', `Instalments failed for ${failed} contract(s); the job is retried`, { failed });
    return { notified, instructed, failed };
  }

  /**
   * One contract, under its row lock: tells the payer of each debit within the notice (once: the
   * instalment becomes notified), and instructs each debit due (the collection date, or a retry's
   * day). A debit late for its notice (a plan signed days before its first collection) is told and
   * instructed together. Exactly once: the state changes with the movement; its source is unique.
   */
  private async work(m: EntityManager, contractId: string, today: string): Promise<{ notified: number; instructed: number }> {
    const contract = await this.contracts.lockForUpdate(m, contractId);
    const plan = await this.repo.plan(m, contractId, true);
    const mandate = await this.repo.mandate(m, contractId);
    if (!contract || !plan || plan.state !== 'active' || mandate?.state !== 'active') return { notified: 0, instructed: 0 };
    if (!['awaiting_payment', 'active'].includes(contract.state)) {
      // Refunded or terminated: nothing further is collected (as if the payer had stopped).
      await this.repo.stop(m, contractId, `system: the contract is ${contract.state}`);
      for (const i of await this.repo.instalments(m, contractId, true)) await this.repo.apply(m, i.id, 'cancel');
      return { notified: 0, instructed: 0 };
    }
    let notified = 0;
    let instructed = 0;
    for (const i of await this.repo.instalments(m, contractId, true)) {
      if (i.state === 'scheduled' && addDaysTo(i.collection_date, -plan.pre_notification_days) <= today) {
        await this.apply(m, i, 'notify');
        i.state = 'notified';
        notified += 1;
      }
      const due = (i.state === 'notified' && i.collection_date <= today) || (i.state === 'retrying' && i.next_attempt_date !== null && i.next_attempt_date <= today);
      if (!due) continue;
      const { movement } = await this.movements.instruct(m, {
        kind: 'debit',
        escrowAccountId: plan.escrow_account_id,
        institutionId: plan.institution_id,
        contractId,
        amount: Money.fromDb(i.amount, plan.currency),
        payee: { bank: mandate.bank, accountNumber: mandate.account_number, accountName: mandate.account_name },
        sourceRef: `${SOURCE_PREFIX}${i.id}.${i.attempts + 1}`,
        memo: `instalment ${i.seq}, try ${i.attempts + 1}`,
      });
      await this.apply(m, i, 'instruct', { movementId: movement.id });
      instructed += 1;
    }
    return { notified, instructed };
  }

  // ---- the payer ----------------------------------------------------------------------------------

  /**
   * The payer stops future debits: every instalment not yet sent is cancelled, the mandate revoked,
   * nothing further is collected, and the contract shortens to the instalments paid or on their way
   * (their lessons, price and end). A debit already sent is honoured if the bank executes it (and
   * refunded if the payer asks); if it fails, the contract shortens again.
   */
  async stop(payerToken: string | undefined, reason: string): Promise<InstalmentView> {
    const c = await this.contractForToken(payerToken);
    await this.ds.transaction(async (m) => {
      await this.contracts.lockForUpdate(m, c.id);
      const plan = await this.repo.plan(m, c.id, true);
      if (!plan) throw new DomainError('NO_INSTALMENT_PLAN', 'The contract is not paid in instalments');
      if (plan.state === 'stopped') throw new DomainError('INSTALMENT_PLAN_STOPPED', 'Future debits are already stopped', { reason: plan.stop_reason });
      await this.repo.stop(m, c.id, reason);
      const cancelled = [];
      for (const i of await this.repo.instalments(m, c.id, true)) if (await this.repo.apply(m, i.id, 'cancel')) cancelled.push(i.seq);
      const shortened = await this.shortenToCollected(m, c.id);
      const inst = await this.institutions.findById(m, c.institution_id);
      await this.events.raise(m, {
        institutionId: c.institution_id,
        districtCode: inst?.districtCode ?? '',
        type: 'INSTALMENTS_STOPPED',
        severity: 'info',
        message: `The payer of contract ${c.reference} stopped future debits (${cancelled.length} instalment(s) cancelled): ${reason}`,
        details: { contractId: c.id, cancelled, amountPaid: c.amount_paid, shortenedTo: shortened },
        dedupeKey: `instalments-stopped:${c.id}`,
      });
    });
    return this.view(c.id);
  }

  // ---- reads ----------------------------------------------------------------------------------------

  /** The payer's mandated account (where a refund of a contract paid by debits goes back to); null without a plan. */
  async mandateAccount(m: EntityManager, contractId: string): Promise<{ bank: string; accountNumber: string; accountName: string } | null> {
    const md = await this.repo.mandate(m, contractId);
    return md ? { bank: md.bank, accountNumber: md.account_number, accountName: md.account_name } : null;
  }

  async view(contractId: string, m: EntityManager = this.ds.manager): Promise<InstalmentView> {
    const plan = await this.repo.plan(m, contractId);
    return { plan, instalments: plan ? await this.repo.instalments(m, contractId) : [] };
  }

  // ---- internals --------------------------------------------------------------------------------------

  private async movementOutcome(m: EntityManager, outcome: 'executed' | 'failed' | 'reinstructed', movement: MovementRow): Promise<void> {
    const id = movement.source_ref.slice(SOURCE_PREFIX.length).split('.')[0];
    // The contract first, then the instalment: the order the daily job takes them in.
    if (!movement.contract_id) return;
    const contract = await this.contracts.lockForUpdate(m, movement.contract_id);
    const i = await this.repo.instalment(m, id);
    if (!i || !contract) return;
    if (outcome === 'reinstructed') {
      // Sending a failed try again while the job already sent a newer one would debit the payer twice: refused.
      if (!(await this.repo.apply(m, i.id, 'reinstructed', { movementId: movement.id }))) {
        throw new DomainError('INVALID_SETTLEMENT_TRANSITION', `Instalment ${i.seq} is ${i.state}: its debit is not sent again`, { instalmentId: i.id, state: i.state });
      }
      return;
    }
    // A result for an earlier try than the instalment's current one changes nothing here.
    if (i.movement_id !== movement.id) return;
    if (outcome === 'executed') {
      await this.repo.apply(m, i.id, 'executed');
      // The kind posted bank cash → held (funding) in this transaction: the contract's paid-in figure moves with it.
      await this.contracts.recordFunding(m, contract, Money.fromDb(movement.amount, movement.currency), { instalment: true });
      if (!PAYABLE_STATES.includes(contract.state)) await this.returnLateDebit(m, contract, movement);
      return;
    }
    const plan = (await this.repo.plan(m, i.contract_id))!;
    const next = plan.state === 'active' ? afterFailedTry(i.attempts, plan.retries) : 'fail';
    if (next === 'retry') {
      await this.repo.apply(m, i.id, 'retry', { nextAttemptDate: addDaysTo(this.clock.today(), plan.retry_delay_days), failureCode: movement.failure_code ?? undefined });
      return;
    }
    await this.repo.apply(m, i.id, 'fail', { failureCode: movement.failure_code ?? undefined });
    // A debit still on its way when the payer stopped, failed now: the contract shortens to what was collected.
    if (plan.state === 'stopped') await this.shortenToCollected(m, contract.id);
    const inst = await this.institutions.findById(m, contract.institution_id);
    // Both sides: the institution and its regulators by this event; the payer sees the failed instalment in its schedule.
    await this.events.raise(m, {
      institutionId: contract.institution_id,
      districtCode: inst?.districtCode ?? '',
      type: 'INSTALMENT_FAILED',
      severity: 'warning',
      message: `Instalment ${i.seq} of contract ${contract.reference} (${i.amount} ${plan.currency}) could not be debited after ${i.attempts} tries (${movement.failure_code ?? 'no reason'})`,
      details: { contractId: contract.id, instalmentId: i.id, seq: i.seq, attempts: i.attempts, reasonCode: movement.failure_code },
      dedupeKey: `instalment-failed:${i.id}`,
    });
  }

  /**
   * A debit the bank executed after the contract stopped taking payments (a refund or a closure
   * terminated it while the debit was on its way, or it completed): the money is the payer's and
   * nothing can use it, so in the same callback transaction it goes straight back to the account it
   * was debited from as a `refund` movement (contract held → refund payable, delivered, retried and
   * reconciled like any refund). Exactly once: its source is the debit's (`debit-return.<movement>`,
   * unique), and the bank's repeated result of the same debit does not reach this listener again.
   */
  private async returnLateDebit(m: EntityManager, contract: ContractRow, debit: MovementRow): Promise<void> {
    const amount = Money.fromDb(debit.amount, debit.currency);
    await this.movements.instruct(m, {
      kind: 'refund',
      escrowAccountId: debit.escrow_account_id,
      institutionId: debit.institution_id,
      contractId: contract.id,
      amount,
      payee: { bank: debit.payee_bank ?? '', accountNumber: debit.payee_account_number ?? '', accountName: debit.payee_account_name ?? '' },
      sourceRef: `${RETURN_PREFIX}${debit.id}`,
      memo: `debit ${debit.end_to_end_ref} executed after the contract was ${contract.state}: returned to the payer`,
    });
    const inst = await this.institutions.findById(m, contract.institution_id);
    await this.events.raise(m, {
      institutionId: contract.institution_id,
      districtCode: inst?.districtCode ?? '',
      type: 'LATE_DEBIT_RETURNED',
      severity: 'info',
      message: `A debit of ${amount} ${amount.currency} executed after contract ${contract.reference} was ${contract.state}: returned to the payer's account`,
      details: { contractId: contract.id, debitMovementId: debit.id, amount: amount.toString() },
      dedupeKey: `late-debit-returned:${debit.id}`,
    });
  }

  /**
   * After a stop: the contract keeps the instalments paid or still on their way to the bank (a debit
   * already sent is honoured if executed): their lessons, amounts and periods. With none, nothing was
   * or will be collected: the contract is terminated.
   */
  private async shortenToCollected(m: EntityManager, contractId: string): Promise<{ lessons: number; totalPrice: string; endDate: string } | null> {
    const contract = (await this.contracts.lockForUpdate(m, contractId))!;
    const kept = (await this.repo.instalments(m, contractId)).filter((i) => i.state === 'paid' || i.state === 'instructed');
    if (kept.length === 0) {
      await this.contracts.terminate(m, contractId);
      return null;
    }
    const totalPrice = kept.reduce((sum, i) => sum.plus(Money.fromDb(i.amount, contract.currency)), Money.zero(contract.currency));
    const lessons = Math.max(kept.reduce((n, i) => n + i.lessons, 0), contract.lessons_consumed, 1);
    const endDate = kept.map((i) => i.covers_to).sort().at(-1)!;
    await this.contracts.shorten(m, contractId, { lessons, totalPrice, endDate });
    return { lessons, totalPrice: totalPrice.toString(), endDate };
  }

  private async apply(m: EntityManager, i: InstalmentRow, event: InstalmentEvent, extra: Parameters<InstalmentsRepository['apply']>[3] = {}): Promise<void> {
    requireInstalmentEvent(i.state, event);
    if (!(await this.repo.apply(m, i.id, event, extra))) requireInstalmentEvent('changed meanwhile', event);
  }

  private async contractForToken(token: string | undefined): Promise<ContractRow> {
    const contract = token ? await this.contracts.byPayerToken(token) : null;
    if (!contract) throw new DomainError('INVALID_PAYER_TOKEN', 'Unknown or revoked payer token');
    return contract;
  }
}
