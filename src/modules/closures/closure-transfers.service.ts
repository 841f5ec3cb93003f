import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { BankCreditsService } from '@modules/bank-credits/bank-credits.service';
import { ContractRow } from '@modules/contracts/contract.types';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LessonReleaseService } from '@modules/lessons/lesson-release.service';
import { MovementRow } from '@modules/money-movements/money-movement.types';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { DeductionsService } from '@modules/deductions/deductions.service';
import { RefundsService } from '@modules/refunds/refunds.service';
import { EligibilityService } from '@modules/supervision/eligibility.service';
import { OPEN_STATES } from './closure-refunds.service';
import { ClosuresRepository } from './closures.repository';
import { ClosureTransfersRepository, TransferRow } from './closure-transfers.repository';

const SOURCE_PREFIX = 'transfer.';
export const transferNotFound = (id: string) => new DomainError('TRANSFER_NOT_FOUND', `Transfer ${id} not found`);

/**
 * Transfers of students of a closing institution to another institution (issue 14). The district's
 * regulator proposes contract → receiving institution; the receiving institution accepts (naming
 * its course); the payer consents with the contract's token. When both have answered, in one
 * transaction under the contract's row lock: the receiving side is checked again (operating,
 * licence active and valid, inspection not failed or overdue, escrow account active, same currency),
 * a new contract is signed there for the lessons not delivered at exactly the money that moves, the
 * old contract ends, and a `transfer` movement takes that money out of the old escrow account
 * (held → transfer payable). The bank's execution funds the new contract in the receiving escrow
 * account as a credit quoting the transfer's end-to-end reference (so each account's statement
 * expects its own line); a failure leaves the money payable, sent again like any failed movement.
 */
@Injectable()
export class ClosureTransfersService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ClosureTransfersRepository,
    private readonly closures: ClosuresRepository,
    private readonly institutions: InstitutionsService,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly eligibility: EligibilityService,
    private readonly contracts: ContractsService,
    private readonly credits: BankCreditsService,
    private readonly movements: MoneyMovementsService,
    private readonly releases: LessonReleaseService,
    private readonly ledger: LedgerService,
    private readonly refunds: RefundsService,
    private readonly deductions: DeductionsService,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {}

  onModuleInit(): void {
    this.movements.onOutcome(SOURCE_PREFIX, (m, outcome, movement) => this.movementOutcome(m, outcome, movement));
  }

  /** The regulator of the closing institution's district (or an admin) proposes a transfer. */
  propose(who: Principal, closureId: string, cmd: { contractId: string; receivingInstitutionId: string; reason: string }): Promise<TransferRow> {
    return this.ds.transaction(async (m) => {
      const closure = await this.closures.find(m, closureId, true);
      const inst = closure ? await this.institutions.findById(m, closure.institution_id) : null;
      requireInstitutionAccess(who, inst, 'supervise', () => new DomainError('CLOSURE_NOT_FOUND', `Closure ${closureId} not found`));
      const existing = await this.repo.ofContract(m, cmd.contractId);
      if (existing && existing.state !== 'withdrawn' && existing.closure_id === closureId && existing.receiving_institution_id === cmd.receivingInstitutionId) return existing;
      if (existing) throw new DomainError('TRANSFER_ALREADY_PROPOSED', 'This contract already has a transfer', { transferId: existing.id });
      if (!['announced', 'refunding'].includes(closure!.state)) throw new DomainError('TRANSFER_NOT_POSSIBLE', `The closure is ${closure!.state}: its contracts are settled`, { state: closure!.state });
      const contract = await this.contracts.lockForUpdate(m, cmd.contractId);
      if (!contract || contract.institution_id !== closure!.institution_id) throw new DomainError('CONTRACT_NOT_FOUND', `Contract ${cmd.contractId} not found`);
      if ((await this.closures.processed(m, closureId)).has(contract.id)) throw new DomainError('TRANSFER_NOT_POSSIBLE', 'The closure has already refunded this contract');
      // The receiving institution: the caller must see it (a regulator transfers within its districts) and it must be eligible now.
      const receiving = await this.institutions.access(who, cmd.receivingInstitutionId, 'read', m);
      if (receiving.id === closure!.institution_id) throw new DomainError('TRANSFER_NOT_POSSIBLE', 'A student is transferred to another institution');
      await this.transferable(m, contract);
      await this.receivingEscrow(m, receiving.id, contract.currency);
      const row = await this.repo.insert(m, { closureId, contractId: contract.id, receivingInstitutionId: receiving.id, reason: cmd.reason, proposedBy: who.id });
      if (!row) throw new DomainError('TRANSFER_ALREADY_PROPOSED', 'This contract already has a transfer');
      return row;
    });
  }

  async get(who: Principal, id: string): Promise<TransferRow> {
    const t = await this.repo.find(this.ds.manager, id);
    const closure = t ? await this.closures.find(this.ds.manager, t.closure_id) : null;
    const closing = closure ? await this.institutions.findById(this.ds.manager, closure.institution_id) : null;
    const receiving = t ? await this.institutions.findById(this.ds.manager, t.receiving_institution_id) : null;
    // Either side may read it: the closing institution's supervisors and the receiving institution.
    const mayRead = (x: typeof closing) => {
      try {
        requireInstitutionAccess(who, x, 'read', () => transferNotFound(id));
        return true;
      } catch {
        return false;
      }
    };
    if (!t || !(mayRead(closing) || mayRead(receiving))) throw transferNotFound(id);
    return t;
  }

  /** The receiving institution (or an admin) accepts the student, into one of its courses. */
  accept(who: Principal, id: string, courseId: string): Promise<{ transfer: TransferRow; payerToken: string | null }> {
    return this.ds.transaction(async (m) => {
      const t = await this.repo.find(m, id, true);
      const receiving = t ? await this.institutions.findById(m, t.receiving_institution_id) : null;
      requireInstitutionAccess(who, receiving, 'read', () => transferNotFound(id));
      if (t!.accepted_at) return { transfer: t!, payerToken: null };
      if (t!.state !== 'proposed') throw new DomainError('TRANSFER_NOT_POSSIBLE', `The transfer is ${t!.state}`);
      await this.repo.accept(m, t!.id, who.id, courseId);
      return this.executeIfAgreed(m, t!.id);
    });
  }

  /** The payer consents with the contract's token; answers the new contract's payer token once the transfer is instructed. */
  consent(payerToken: string | undefined, id: string): Promise<{ transfer: TransferRow; payerToken: string | null }> {
    return this.ds.transaction(async (m) => {
      const contract = payerToken ? await this.contracts.byPayerToken(payerToken) : null;
      if (!contract) throw new DomainError('INVALID_PAYER_TOKEN', 'Unknown or revoked payer token');
      const t = await this.repo.find(m, id, true);
      if (!t || t.contract_id !== contract.id) throw transferNotFound(id);
      if (t.consented_at) return { transfer: t, payerToken: null };
      if (t.state !== 'proposed') throw new DomainError('TRANSFER_NOT_POSSIBLE', `The transfer is ${t.state}`);
      await this.repo.consent(m, t.id);
      return this.executeIfAgreed(m, t.id);
    });
  }

  /**
   * The district's regulator (or an admin) withdraws a transfer nobody finished answering, so the
   * closure can refund the contract. Only while no money moved (`proposed`, whoever answered);
   * under the transfer's row lock that acceptance and consent take, so a withdrawal racing the last
   * answer either withdraws (the answer then finds it withdrawn) or finds it instructed (409).
   * A closure already refunding gets its bulk refund job again through the outbox, in this
   * transaction: the job is resumable and records each contract once, so the contract is refunded
   * exactly once by the same path as every other contract, and the closure's refunds are done after it.
   */
  withdraw(who: Principal, id: string, reason: string): Promise<TransferRow> {
    return this.ds.transaction(async (m) => {
      const t = await this.repo.find(m, id, true);
      // The closure's row too (after the transfer's, the order the last answer takes them in): a planned start racing this sees it withdrawn, or this sees the closure refunding.
      const closure = t ? await this.closures.find(m, t.closure_id, true) : null;
      const closing = closure ? await this.institutions.findById(m, closure.institution_id) : null;
      requireInstitutionAccess(who, closing, 'supervise', () => transferNotFound(id));
      if (t!.state === 'withdrawn') return t!;
      if (t!.state !== 'proposed' || !(await this.repo.withdraw(m, t!.id, who.id, reason))) {
        throw new DomainError('TRANSFER_NOT_WITHDRAWABLE', `The transfer is ${t!.state}: its money has been instructed`, { state: t!.state });
      }
      if (closure!.state === 'refunding') await this.outbox.enqueue(m, JobName.ClosureRefunds, { closureId: closure!.id }, jobId('closure-refunds', closure!.id, 'withdrawn', t!.id));
      return (await this.repo.find(m, t!.id))!;
    });
  }

  /** Both sides have answered: the transfer happens now (the transfer row is locked by the caller). */
  private async executeIfAgreed(m: EntityManager, id: string): Promise<{ transfer: TransferRow; payerToken: string | null }> {
    const t = (await this.repo.find(m, id))!;
    if (!t.accepted_at || !t.consented_at) return { transfer: t, payerToken: null };
    const contract = (await this.contracts.lockForUpdate(m, t.contract_id))!;
    const amount = await this.transferable(m, contract);
    const receiving = await this.receivingEscrow(m, t.receiving_institution_id, contract.currency);
    const computation = await this.refunds.computation(m, contract);
    const { contract: next, payerToken } = await this.contracts.signForTransfer(m, contract, {
      institutionId: t.receiving_institution_id,
      courseId: t.course_id!,
      escrowAccountId: receiving.id,
      lessons: computation.remainingLessons,
      totalPrice: amount,
      // The receiving institution's acceptance signs the new contract (an API key id).
      actor: t.accepted_by!,
    });
    await this.contracts.terminate(m, contract.id);
    // Like a refund, the transfer ends a deduction schedule: the periods not yet due go with the money; those taken or due stay the institution's.
    await this.deductions.cancelOnRefund(m, contract.id, this.clock.today(), `transfer ${t.id}`);
    const { movement } = await this.movements.instruct(m, {
      kind: 'transfer',
      escrowAccountId: contract.escrow_account_id,
      institutionId: contract.institution_id,
      contractId: contract.id,
      amount,
      payee: { bank: receiving.bankCode, accountNumber: receiving.accountNumber, accountName: receiving.accountName },
      sourceRef: `${SOURCE_PREFIX}${t.id}`,
      memo: `transfer ${t.id} of ${contract.reference} to ${next.reference}`,
    });
    await this.repo.instructed(m, t.id, { amount: amount.toString(), newContractId: next.id, movementId: movement.id });
    const recorded = await this.closures.record(m, { closureId: t.closure_id, contractId: contract.id, outcome: 'transferred', amount: amount.toString(), owed: '0', refundId: null, transferId: t.id, note: `to ${next.reference}` });
    if (!recorded) throw new DomainError('TRANSFER_NOT_POSSIBLE', 'The closure has already refunded this contract');
    // Lessons consumed and not released yet stay the closing institution's, released when its account may release.
    await this.releases.releaseAfterTermination(m, contract.id);
    await this.refundsDoneIfLast(m, t.closure_id, contract.institution_id);
    return { transfer: (await this.repo.find(m, t.id))!, payerToken };
  }

  /** The transfer was the last thing the closure waited for (the bulk refunds already ran): its refunds are done. */
  private async refundsDoneIfLast(m: EntityManager, closureId: string, institutionId: string): Promise<void> {
    const closure = await this.closures.find(m, closureId, true);
    if (closure?.state !== 'refunding' || closure.pool === null) return;
    const done = await this.closures.processed(m, closureId);
    const open = (await this.contracts.idsInStates(institutionId, [...OPEN_STATES], m)).filter((id) => !done.has(id));
    if (open.length === 0 && (await this.repo.openContractIds(m, closureId)).size === 0) await this.closures.markRefundsDone(m, closureId);
  }

  /** What moves: the lessons not delivered, at the price paid; the contract must be open, paid into, hold it and name the payer's account. */
  private async transferable(m: EntityManager, contract: ContractRow): Promise<Money> {
    if (!(OPEN_STATES as readonly string[]).includes(contract.state)) throw new DomainError('TRANSFER_NOT_POSSIBLE', `A contract that is ${contract.state} is not transferred`, { contractState: contract.state });
    // The refund's own computation (a contract under periodic release: paid in less what its schedule keeps).
    const c = await this.refunds.computation(m, contract);
    if (!c.refund.isPositive() || c.remainingLessons < 1) throw new DomainError('TRANSFER_NOT_POSSIBLE', 'Nothing paid in is left for lessons not delivered');
    const held = await this.ledger.balanceOf('contract_held', { escrowAccountId: contract.escrow_account_id, institutionId: contract.institution_id, contractId: contract.id, currency: contract.currency }, m);
    if (held.lt(c.refund)) throw new DomainError('TRANSFER_NOT_POSSIBLE', `Less is held for the contract (${held}) than its lessons not delivered (${c.refund})`, { held: held.toString(), undelivered: c.refund.toString() });
    if (!(await this.credits.originalPayerAccount(m, contract.id))) throw new DomainError('REFUND_PAYER_ACCOUNT_UNKNOWN', 'No payment into this contract named the account it came from');
    return c.refund;
  }

  /** The receiving side must be eligible to take prepaid fees today, with an active escrow account in the contract's currency. */
  private async receivingEscrow(m: EntityManager, institutionId: string, currency: string) {
    const e = await this.eligibility.check(m, institutionId);
    if (!e.eligible) throw new DomainError('TRANSFER_RECEIVER_NOT_ELIGIBLE', 'The receiving institution may not take prepaid fees now', { reasons: e.reasons });
    const escrow = await this.escrowAccounts.current(m, institutionId);
    if (!escrow || escrow.state !== 'active') throw new DomainError('TRANSFER_RECEIVER_NOT_ELIGIBLE', 'The receiving institution has no active escrow account', { reasons: [{ code: 'NO_ACTIVE_ESCROW_ACCOUNT' }] });
    if (escrow.currency !== currency) throw new DomainError('CURRENCY_MISMATCH', `The receiving escrow account holds ${escrow.currency}, the contract ${currency}`);
    return escrow;
  }

  /**
   * The bank's result for the transfer movement, in the callback's transaction. Executed: the
   * money arrives in the receiving escrow account as a credit of the new contract (its bank
   * transaction id is the movement's end-to-end reference, which the receiving bank's statement
   * quotes), paying it in full. Failed: the money stays payable; a re-instruction is followed.
   */
  private async movementOutcome(m: EntityManager, outcome: 'executed' | 'failed' | 'reinstructed', movement: MovementRow): Promise<void> {
    const t = await this.repo.byMovement(m, outcome === 'reinstructed' ? movement.reinstructs_id! : movement.id);
    if (!t) return;
    if (outcome !== 'executed') return this.repo.outcome(m, t.id, outcome === 'failed' ? 'failed' : 'instructed', movement.id);
    const next = (await this.contracts.lockForUpdate(m, t.new_contract_id!))!;
    const receiving = (await this.escrowAccounts.find(m, next.escrow_account_id))!;
    const payer = await this.credits.originalPayerAccount(m, t.contract_id);
    await this.credits.receiveFromStatement(m, receiving, {
      bankTransactionId: movement.end_to_end_ref,
      escrowAccountNumber: receiving.accountNumber,
      amount: movement.amount,
      currency: movement.currency,
      valueDate: this.clock.today(),
      payerReference: next.reference,
      payerAccount: payer ? { bank: payer.bank ?? undefined, accountNumber: payer.accountNumber, accountName: payer.accountName ?? undefined } : undefined,
    });
    await this.repo.outcome(m, t.id, 'completed', movement.id);
  }
}
