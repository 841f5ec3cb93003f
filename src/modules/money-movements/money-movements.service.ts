import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@common/errors/domain-error';
import type { ExpectedLine } from '@common/money/expected-line';
import { Money } from '@common/money/money';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';
import { newEndToEndRef } from './end-to-end-ref';
import { kindOf, MONEY_MOVEMENT_KINDS } from './kinds';
import { LegTemplate, MoneyMovementKind, MoneyMovementKindName } from './money-movement-kind';
import { MovementRow } from './money-movement.types';
import { DeliveryAttempt, DeliveryAttemptRow, ExecutedMovementRow, MoneyMovementsRepository } from './money-movements.repository';
import { MovementDeliveryRepository } from './movement-delivery.repository';

export type { DeliveryAttempt, DeliveryAttemptRow } from './money-movements.repository';
import { MovementOutcomeListener, MovementOutcomes, ReinstructionGuard } from './movement-outcomes';
import { transition } from './movement-state-machine';
import { movementNotFound } from './money-movements.errors';

/** A bank account outside escrow (the payer's original account, for a refund). */
export interface PayeeAccount {
  bank?: string | null;
  accountNumber: string;
  accountName?: string | null;
}

export interface InstructCommand {
  kind: MoneyMovementKindName;
  escrowAccountId: string;
  institutionId: string;
  contractId?: string | null;
  amount: Money;
  /** The posting the use case already made for this movement (a release), when the kind posts nothing at instruction. */
  ledgerTxnId?: string | null;
  /** Not to be executed before this day (China time), e.g. a weekly settlement's payment delay. */
  notBefore?: string | null;
  /** Required when the kind pays the payer's original account. */
  payee?: PayeeAccount | null;
  /** The idempotency key of what caused the movement (`lesson.<id>`, `tranche.<contract>.<part>`...): one movement per source. */
  sourceRef: string;
  memo?: string;
}

export type { MovementOutcomeListener } from './movement-outcomes';

export interface MovementContext {
  row: MovementRow;
  kind: MoneyMovementKind;
}

/** The bank quotes the end-to-end reference we sent (and may quote its own transaction id). */
const toExpectedLine = (r: ExecutedMovementRow): ExpectedLine => ({
  source: 'movement',
  id: r.id,
  escrowAccountId: r.escrow_account_id,
  direction: kindOf(r.kind).statementDirection,
  amount: r.amount,
  currency: r.currency,
  references: r.bank_transaction_id ? [r.end_to_end_ref, r.bank_transaction_id] : [r.end_to_end_ref],
  valueDate: r.value_date,
  postedAt: r.executed_at,
});


/**
 * Money movements through the custody bank, every kind alike: instructing posts the kind's
 * instructed legs, snapshots both sides and gives the movement its end-to-end reference, and
 * writes the outbox row for delivery, all in the caller's transaction. The bank's result posts
 * the kind's executed or failed legs. Every state change goes through the state machine.
 */
@Injectable()
export class MoneyMovementsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: MoneyMovementsRepository,
    private readonly deliveryRepo: MovementDeliveryRepository,
    private readonly ledger: LedgerService,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly institutions: InstitutionsService,
    private readonly outbox: OutboxService,
    private readonly events: SupervisionEventsService,
    private readonly outcomes: MovementOutcomes,
  ) {}

  /** Registers a use case's listener for the outcomes of the movements it caused (by source prefix). */
  onOutcome(sourcePrefix: string, listener: MovementOutcomeListener): void {
    this.outcomes.on(sourcePrefix, listener);
  }

  /** Registers a use case's veto on sending a failed movement again (see MovementOutcomes.guardReinstruction). */
  guardReinstruction(guard: ReinstructionGuard): void {
    this.outcomes.guardReinstruction(guard);
  }

  async instruct(m: EntityManager, cmd: InstructCommand): Promise<{ movement: MovementRow; created: boolean }> {
    const kind = kindOf(cmd.kind);
    if (!cmd.amount.isPositive()) throw new DomainError('INVALID_AMOUNT', 'A money movement amount must be positive', { amount: cmd.amount.toString() });
    const escrow = await this.escrowAccounts.find(m, cmd.escrowAccountId);
    if (!escrow || escrow.institutionId !== cmd.institutionId) throw new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `Escrow account ${cmd.escrowAccountId} not found`);
    if (escrow.currency !== cmd.amount.currency) throw new DomainError('CURRENCY_MISMATCH', `The escrow account holds ${escrow.currency}, not ${cmd.amount.currency}`);
    // A system read for the payee and district snapshots (the caller checked its own scope): the escrow account names the institution.
    const inst = await this.institutions.findById(m, cmd.institutionId);
    if (!inst) throw new DomainError('NOT_FOUND', `Institution ${cmd.institutionId} not found`);
    const payee =
      kind.payee === 'institution_basic_account'
        ? { bank: inst.basicAccountBank, accountNumber: inst.basicAccountNumber, accountName: inst.name }
        : kind.payee === 'escrow_account'
          ? { bank: escrow.bankCode, accountNumber: escrow.accountNumber, accountName: escrow.accountName }
          : cmd.payee;
    if (!payee) throw new DomainError('VALIDATION_FAILED', `A ${kind.kind} movement needs the payee account`, { field: 'payee' });
    const owner = this.owner(cmd);
    const posted = await this.post(m, kind.postings.instructed, kind.instructedTransactionType, owner, cmd.amount, `movement.${cmd.sourceRef}`, cmd.memo ?? `${kind.kind} instructed`);
    const { row, created } = await this.repo.insert(m, {
      kind: kind.kind,
      amount: cmd.amount.toString(),
      currency: cmd.amount.currency,
      endToEndRef: newEndToEndRef(),
      sourceRef: cmd.sourceRef,
      escrowAccountId: escrow.id,
      institutionId: inst.id,
      contractId: cmd.contractId ?? null,
      districtCode: inst.districtCode,
      escrowBankCode: escrow.bankCode,
      escrowAccountNumber: escrow.accountNumber,
      escrowAccountName: escrow.accountName,
      payeeBank: payee.bank ?? null,
      payeeAccountNumber: payee.accountNumber ?? null,
      payeeAccountName: payee.accountName ?? null,
      ledgerTxnId: posted ?? cmd.ledgerTxnId ?? null,
      notBefore: cmd.notBefore ?? null,
    });
    if (!created && (row.kind !== kind.kind || !this.amountOf(row).eq(cmd.amount))) {
      throw new DomainError('CONFLICT', `Source ${cmd.sourceRef} already instructed a different movement`, { movementId: row.id, kind: row.kind, amount: row.amount });
    }
    if (created) await this.outbox.enqueue(m, JobName.SettlementInstructionCreated, { instructionId: row.id }, jobId('instruction', row.id));
    return { movement: row, created };
  }

  /** The bank executed it: the kind's executed legs, once (a repeat under the same bank transaction is a no-op). */
  async markExecuted(m: EntityManager, id: string, bankTransactionId: string | null): Promise<{ movement: MovementRow; transactionId: string | null; replayed: boolean }> {
    const row = await this.lock(m, id);
    if (row.state === 'executed') {
      if (row.bank_transaction_id !== bankTransactionId) throw new DomainError('INVALID_SETTLEMENT_TRANSITION', 'The instruction was already executed under another bank transaction');
      return { movement: row, transactionId: row.settlement_txn_id, replayed: true };
    }
    transition(row.state, 'executed');
    const kind = kindOf(row.kind);
    const txn = await this.post(m, kind.postings.executed, kind.executedTransactionType, this.ownerOf(row), this.amountOf(row), `settlement.${row.id}`, `bank ${row.escrow_bank_code} executed ${bankTransactionId ?? ''}`.trim());
    await this.repo.executed(m, row.id, bankTransactionId, txn);
    const movement = (await this.repo.find(m, row.id))!;
    await this.outcomes.notify(m, 'executed', movement);
    return { movement, transactionId: txn, replayed: false };
  }

  /** The bank could not execute it: the kind's failed legs (none for releases and refunds: nothing left escrow). */
  async markFailed(m: EntityManager, id: string, reasonCode: string): Promise<{ movement: MovementRow; replayed: boolean }> {
    const row = await this.lock(m, id);
    if (row.state === 'failed') return { movement: row, replayed: true };
    transition(row.state, 'failed');
    const kind = kindOf(row.kind);
    const txn = await this.post(m, kind.postings.failed, kind.failedTransactionType, this.ownerOf(row), this.amountOf(row), `settlement-failed.${row.id}`, `bank ${row.escrow_bank_code} failed: ${reasonCode}`);
    await this.repo.failed(m, row.id, reasonCode, txn);
    const movement = (await this.repo.find(m, row.id))!;
    await this.outcomes.notify(m, 'failed', movement);
    return { movement, replayed: false };
  }

  // ---- reads ---------------------------------------------------------------------------

  /** What delivery and callbacks need: the row (with its snapshots) and its kind. Null when unknown. */
  async context(id: string, m: EntityManager = this.ds.manager, lock = false): Promise<MovementContext | null> {
    const row = await this.repo.find(m, id, lock);
    return row ? { row, kind: kindOf(row.kind) } : null;
  }

  /** `context` of several movements in one read (delivery groups its concurrent reads); unknown ids are absent. */
  async contexts(ids: string[], m: EntityManager = this.ds.manager): Promise<Map<string, MovementContext>> {
    const rows = await this.deliveryRepo.findMany(m, ids);
    return new Map(rows.map((row) => [row.id, { row, kind: kindOf(row.kind) }]));
  }

  async get(id: string, m: EntityManager = this.ds.manager): Promise<MovementRow> {
    const row = await this.repo.find(m, id);
    if (!row) throw movementNotFound(id);
    return row;
  }

  list(filter: { deadLettered: boolean; limit?: number }): Promise<MovementRow[]> {
    return this.repo.list(this.ds.manager, { deadLettered: filter.deadLettered, limit: filter.limit ?? 100 });
  }

  waitingForBank(bankCode: string): Promise<string[]> {
    return this.repo.waitingForBank(this.ds.manager, bankCode);
  }

  /**
   * Reconciliation: the statement lines of this account's movements executed on China days
   * fromDay..toDay, or after `postedAfter` when given. Each kind declares its line's direction;
   * nothing here branches on the kind.
   */
  async expectedLines(m: EntityManager, escrowAccountId: string, fromDay: string, toDay: string, postedAfter: Date | null = null): Promise<ExpectedLine[]> {
    return (await this.repo.executedBetween(m, escrowAccountId, fromDay, toDay, postedAfter)).map(toExpectedLine);
  }

  /** Reconciliation (matching by hand): the line one executed movement expects; null when unknown or not executed. */
  async expectedLine(m: EntityManager, id: string): Promise<ExpectedLine | null> {
    const row = await this.repo.executedOne(m, id);
    return row ? toExpectedLine(row) : null;
  }

  /**
   * Money on its way out of an escrow account that no payable account reserves: movements not yet
   * executed or failed whose kind posts nothing when instructed (a release: its money is still in the
   * institution's unsettled account). Chosen by the kinds' data, not their names.
   */
  async unreservedInFlight(m: EntityManager, escrowAccountId: string, currency: string): Promise<Money> {
    const kinds = MONEY_MOVEMENT_KINDS.filter((k) => k.direction === 'out' && k.postings.instructed.length === 0).map((k) => k.kind);
    return Money.fromDb(await this.repo.sumInFlight(m, escrowAccountId, kinds), currency);
  }

  /** Movements of the account still waiting for the bank's result, and the last execution (a closure completes after both). */
  settledness(m: EntityManager, escrowAccountId: string): Promise<{ open: number; lastExecutedAt: Date | null }> {
    return this.repo.settledness(m, escrowAccountId);
  }

  amountOf(row: MovementRow): Money {
    return Money.fromDb(row.amount, row.currency);
  }

  // ---- delivery bookkeeping (called by the settlements module) --------------------------

  assignSequence(row: MovementRow): Promise<string> {
    return row.sequence ? Promise.resolve(row.sequence) : this.repo.assignSequence(this.ds.manager, row.id, row.escrow_account_id);
  }

  /** `assignSequence` for several movements in one statement; each id's sequence (one it had stays). */
  assignSequences(ids: string[]): Promise<Map<string, string>> {
    return this.deliveryRepo.assignSequences(this.ds.manager, ids);
  }

  /**
   * The payee a delivery must name. A release instructed while the institution had no payout
   * account is never sent without one: the account is looked up again at each attempt, and
   * while it is missing the movement waits (queued) and regulators are told once.
   */
  async ensurePayee(id: string): Promise<boolean> {
    const row = await this.get(id);
    if (row.payee_account_number) return true;
    const kind = kindOf(row.kind);
    if (kind.payee === 'institution_basic_account') {
      const inst = await this.institutions.findById(this.ds.manager, row.institution_id);
      if (inst?.basicAccountNumber) {
        await this.repo.fillPayee(this.ds.manager, id, { bank: inst.basicAccountBank, accountNumber: inst.basicAccountNumber, accountName: inst.name });
        return true;
      }
    }
    await this.ds.transaction(async (m) => {
      await this.repo.apply(m, id, 'wait_for_endpoint');
      await this.events.raise(m, {
        institutionId: row.institution_id,
        districtCode: row.district_code,
        type: 'PAYEE_ACCOUNT_MISSING',
        severity: 'warning',
        message: `${kind.kind} ${row.id} (${row.amount} ${row.currency}) waits: the payee has no account to pay to`,
        details: { instructionId: row.id, kind: kind.kind, payee: kind.payee },
        dedupeKey: `payee-missing:${row.id}`,
      });
    });
    return false;
  }

  async waitForEndpoint(id: string): Promise<void> {
    await this.repo.apply(this.ds.manager, id, 'wait_for_endpoint');
  }

  /** A delivery attempt: recorded (time, status, latency, answer) with the movement's new state, at once. */
  recordAttempt(id: string, accepted: boolean, attempt: DeliveryAttempt, m: EntityManager = this.ds.manager): Promise<void> {
    return this.repo.recordAttempt(m, id, accepted, attempt);
  }

  /** Delivery attempts of several movements, recorded with their movements' new states in one statement (all or none). */
  recordAttempts(items: { id: string; accepted: boolean; attempt: DeliveryAttempt }[], m: EntityManager = this.ds.manager): Promise<void> {
    return this.deliveryRepo.recordAttempts(m, items);
  }

  attempts(id: string): Promise<DeliveryAttemptRow[]> {
    return this.repo.attempts(this.ds.manager, id);
  }

  async endpointGone(m: EntityManager, id: string): Promise<void> {
    await this.repo.apply(m, id, 'endpoint_gone', true);
  }

  scheduleNextAttempt(id: string, delayMs: number): Promise<void> {
    return this.repo.setNextAttempt(this.ds.manager, id, delayMs);
  }

  deadLetter(m: EntityManager, id: string): Promise<void> {
    return this.repo.setDeadLettered(m, id, true);
  }

  clearDeadLetter(id: string): Promise<void> {
    return this.repo.setDeadLettered(this.ds.manager, id, false);
  }

  // ---- internals -------------------------------------------------------------------------


  private async lock(m: EntityManager, id: string): Promise<MovementRow> {
    const row = await this.repo.find(m, id, true);
    if (!row) throw movementNotFound(id);
    return row;
  }

  private owner(cmd: InstructCommand): LedgerOwner {
    return { escrowAccountId: cmd.escrowAccountId, institutionId: cmd.institutionId, contractId: cmd.contractId ?? null, currency: cmd.amount.currency };
  }

  private ownerOf(row: MovementRow): LedgerOwner {
    return { escrowAccountId: row.escrow_account_id, institutionId: row.institution_id, contractId: row.contract_id, currency: row.currency };
  }

  /** Posts the kind's legs for one phase (nothing when it declares none); returns the transaction id. */
  private async post(m: EntityManager, legs: LegTemplate[], type: MoneyMovementKind['executedTransactionType'], owner: LedgerOwner, amount: Money, externalRef: string, memo: string): Promise<string | null> {
    if (legs.length === 0) return null;
    const posted = await this.ledger.postLegs(m, { type, owner, legs: legs.map((l) => ({ from: l.from, to: l.to, amount })), externalRef, memo });
    return posted.id;
  }
}
