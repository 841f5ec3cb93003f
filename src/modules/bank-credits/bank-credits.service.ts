import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireBankAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { isKnownCurrency } from '@common/money/currency';
import type { ExpectedLine } from '@common/money/expected-line';
import { Money } from '@common/money/money';
import { ContractsService } from '@modules/contracts/contracts.service';
import type { EscrowAccount } from '@modules/escrow-accounts/escrow-accounts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { BankCreditsRepository, SuspenseCreditRow } from './bank-credits.repository';

export type { SuspenseCreditRow } from './bank-credits.repository';

/** The account the money came from, as the bank reports it (a refund goes back to it). */
export interface PayerAccount {
  bank?: string;
  accountNumber: string;
  accountName?: string;
}

/** Where a refund of a contract goes. */
export interface PayerAccountOfContract {
  bank: string | null;
  accountNumber: string;
  accountName: string | null;
}

export interface CreditNotice {
  bankTransactionId: string;
  escrowAccountNumber: string;
  amount: string;
  currency: string;
  valueDate: string;
  payerReference?: string;
  payerAccount?: PayerAccount;
}

export interface CreditOutcome {
  creditId: string;
  bankTransactionId: string;
  outcome: 'applied' | 'applied_with_excess' | 'suspense';
  contractId: string | null;
  contractState: string | null;
  applied: string;
  toSuspense: string;
  currency: string;
  exception: string | null;
}

/**
 * Money into escrow (预收费全额纳入监管): the custody bank notifies each credit; a matching one
 * funds its contract through the ledger and the contracts module records it (activating the
 * contract when paid in full). Money that matches no contract, comes in another currency than
 * the contract, or exceeds what is due goes to suspense (only the excess) and raises an
 * exception for the regulator. Idempotent on the bank's transaction id: a repeat answers
 * exactly as the first time.
 */
@Injectable()
export class BankCreditsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: BankCreditsRepository,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly institutions: InstitutionsService,
    private readonly contracts: ContractsService,
    private readonly ledger: LedgerService,
    private readonly events: SupervisionEventsService,
  ) {}

  /**
   * Reconciliation: the statement lines this account's credits expect, for those with a value date in
   * [fromDay, toDay] and (when given) those received after `postedAfter` whatever their value date.
   */
  expectedLines(m: EntityManager, escrowAccountId: string, fromDay: string, toDay: string, postedAfter: Date | null = null): Promise<ExpectedLine[]> {
    return this.repo.expectedLines(m, escrowAccountId, fromDay, toDay, postedAfter);
  }

  /** Reconciliation (matching by hand): the statement line one credit expects; null when unknown. */
  expectedLine(m: EntityManager, id: string): Promise<ExpectedLine | null> {
    return this.repo.expectedLine(m, id);
  }

  async receive(who: Principal, notice: CreditNotice): Promise<{ outcome: CreditOutcome; replayed: boolean }> {
    if (!isKnownCurrency(notice.currency)) throw new DomainError('INVALID_AMOUNT', `Unknown currency ${notice.currency}`, { field: 'currency' });
    const amount = Money.parse(notice.amount, notice.currency);
    if (!amount.isPositive()) throw new DomainError('INVALID_AMOUNT', 'A credit amount must be positive', { field: 'amount' });
    return this.ds.transaction(async (m) => {
      // A bank names an account by its number at the bank: the key's own bank, the only one the bank rule admits.
      const notFound = () => new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `No escrow account ${notice.escrowAccountNumber} at bank ${who.bankCode ?? '(none)'}`);
      const account = who.bankCode ? await this.escrowAccounts.findByBankAccount(m, who.bankCode, notice.escrowAccountNumber) : null;
      if (!account) throw notFound();
      const bank = requireBankAccess(who, account.bankCode, notFound);
      return this.record(m, bank, account, notice, amount);
    });
  }

  /**
   * Reconciliation (issue 13): a credit the bank's statement shows but the bank never notified,
   * applied by a regulator's resolution through the same path as a notice (its contract, or
   * suspense with an exception; once per bank transaction id), in the caller's transaction.
   */
  async receiveFromStatement(m: EntityManager, account: EscrowAccount, notice: CreditNotice): Promise<{ outcome: CreditOutcome; replayed: boolean }> {
    const amount = Money.fromDb(notice.amount, account.currency);
    if (notice.currency !== account.currency || !amount.isPositive()) {
      throw new DomainError('INVALID_AMOUNT', 'A credit from a statement is a positive amount in the escrow account’s currency', { field: 'amount' });
    }
    return this.record(m, account.bankCode, account, notice, amount);
  }

  /** Claims the bank transaction id, applies the money, stores the answer (a repeat answers the first one). */
  private async record(m: EntityManager, bank: string, account: EscrowAccount, notice: CreditNotice, amount: Money): Promise<{ outcome: CreditOutcome; replayed: boolean }> {
    const creditId = await this.repo.claim(m, {
      bankCode: bank,
      bankTransactionId: notice.bankTransactionId,
      escrowAccountId: account.id,
      amount: amount.toString(),
      currency: amount.currency,
      valueDate: notice.valueDate,
      payerReference: notice.payerReference ?? null,
      payerBank: notice.payerAccount?.bank ?? null,
      payerAccountNumber: notice.payerAccount?.accountNumber ?? null,
      payerAccountName: notice.payerAccount?.accountName ?? null,
    });
    if (!creditId) return { outcome: await this.repo.response<CreditOutcome>(m, bank, notice.bankTransactionId), replayed: true };
    const outcome = await this.apply(m, creditId, bank, account, notice, amount);
    await this.repo.complete(m, creditId, { contractId: outcome.contractId, applied: outcome.applied, toSuspense: outcome.toSuspense, outcome: outcome.outcome, response: { ...outcome } });
    return { outcome, replayed: false };
  }

  private async apply(m: EntityManager, creditId: string, bank: string, account: EscrowAccount, notice: CreditNotice, amount: Money): Promise<CreditOutcome> {
    const contract = notice.payerReference ? await this.contracts.findPayableByReference(m, account.id, notice.payerReference) : null;
    let exception: string | null = null;
    let applied = Money.zero(amount.currency);
    if (!contract) exception = 'UNMATCHED_CREDIT';
    else if (contract.currency !== amount.currency) exception = 'CREDIT_CURRENCY_MISMATCH';
    else {
      const due = ContractsService.amountDue(contract);
      applied = amount.gt(due) ? due : amount;
      if (amount.gt(due)) exception = 'OVERPAYMENT';
    }
    const excess = amount.minus(applied);
    const ref = `credit.${bank}.${notice.bankTransactionId}`;
    const owner = { escrowAccountId: account.id, institutionId: account.institutionId, currency: amount.currency };
    let state = contract?.state ?? null;
    if (contract && applied.isPositive()) {
      await this.ledger.fundContract(m, { ...owner, contractId: contract.id }, applied, ref, `payment ${notice.bankTransactionId} for ${contract.reference}`);
      state = await this.contracts.recordFunding(m, contract, applied);
    }
    if (excess.isPositive()) {
      await this.ledger.holdInSuspense(m, owner, excess, `${ref}.suspense`, `unmatched part of ${notice.bankTransactionId}: ${exception}`);
    }
    if (exception) {
      const details = { creditId, bankTransactionId: notice.bankTransactionId, payerReference: notice.payerReference ?? null, amount: amount.toString(), toSuspense: excess.toString() };
      await this.events.recordException(m, { escrowAccountId: account.id, institutionId: account.institutionId, type: exception, amount: excess.toString(), currency: amount.currency, details });
      // A system read (the event goes to the district's regulators), no caller scope: the account names the institution.
      const inst = (await this.institutions.findById(m, account.institutionId))!;
      await this.events.raise(m, {
        institutionId: account.institutionId,
        districtCode: inst.districtCode,
        type: exception,
        severity: 'warning',
        message: `${excess} ${amount.currency} of bank credit ${notice.bankTransactionId} held in suspense (${exception})`,
        details,
        dedupeKey: `credit-exception:${creditId}`,
      });
    }
    const funded = contract !== null && applied.isPositive();
    return {
      creditId,
      bankTransactionId: notice.bankTransactionId,
      outcome: !applied.isPositive() ? 'suspense' : excess.isPositive() ? 'applied_with_excess' : 'applied',
      contractId: funded ? contract.id : null,
      contractState: funded ? state : null,
      applied: applied.toString(),
      toSuspense: excess.toString(),
      currency: amount.currency,
      exception,
    };
  }

  /** The payer's original channel for a contract: the account of its earliest credit that carried one (null when none did). */
  originalPayerAccount(m: EntityManager, contractId: string): Promise<PayerAccountOfContract | null> {
    return this.repo.originalPayerAccount(m, contractId);
  }

  /** Credits with a part in suspense (read for their resolution; the suspense module owns resolutions). */
  suspenseCredits(m: EntityManager, filter: { escrowAccountIds?: string[]; creditId?: string; lock?: boolean; receivedBefore?: Date; limit?: number }): Promise<SuspenseCreditRow[]> {
    return this.repo.suspenseCredits(m, filter);
  }
}
