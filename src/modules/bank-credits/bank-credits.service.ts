import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { isKnownCurrency } from '../../common/money/currency';
import { Money } from '../../common/money/money';
import { ContractsRepository } from '../contracts/contracts.repository';
import { AccountSpec } from '../ledger/ledger-account-types';
import { LedgerService, transfer } from '../ledger/ledger.service';
import { SupervisionEventsRepository } from '../supervision/supervision-events.repository';

export interface CreditNotice {
  bankTransactionId: string;
  escrowAccountNumber: string;
  amount: string;
  currency: string;
  valueDate: string;
  payerReference?: string;
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
 * funds its contract (bank cash → contract held funds) and activates it when paid in full.
 * Money that matches no contract, comes in another currency than the contract, or exceeds
 * what is due goes to suspense (only the excess) and raises an exception for the regulator.
 * Idempotent on the bank's transaction id: a repeat answers exactly as the first time.
 */
@Injectable()
export class BankCreditsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly contracts: ContractsRepository,
    private readonly ledger: LedgerService,
    private readonly events: SupervisionEventsRepository,
  ) {}

  async receive(who: Principal, notice: CreditNotice): Promise<{ outcome: CreditOutcome; replayed: boolean }> {
    if (!isKnownCurrency(notice.currency)) throw new DomainError('INVALID_AMOUNT', `Unknown currency ${notice.currency}`);
    const amount = Money.parse(notice.amount, notice.currency);
    if (!amount.isPositive()) throw new DomainError('INVALID_AMOUNT', 'A credit amount must be positive');
    const bank = who.bankCode!;
    return this.ds.transaction(async (m) => {
      const accounts: { id: string; institution_id: string; currency: string; district_code: string }[] = await m.query(
        `SELECT e.id, e.institution_id, e.currency, i.district_code FROM escrow_accounts e JOIN institutions i ON i.id = e.institution_id
          WHERE e.bank_code = $1 AND e.account_number = $2`,
        [bank, notice.escrowAccountNumber],
      );
      const account = accounts[0];
      if (!account) throw new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `No escrow account ${notice.escrowAccountNumber} at bank ${bank}`);
      // Claim the bank transaction id first: a concurrent repeat waits here, then replays.
      const claimed: { id: string }[] = await m.query(
        `INSERT INTO bank_credits (bank_code, bank_transaction_id, escrow_account_id, amount, currency, value_date, payer_reference, outcome, response, to_suspense)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', '{}', $4) ON CONFLICT (bank_code, bank_transaction_id) DO NOTHING RETURNING id`,
        [bank, notice.bankTransactionId, account.id, amount.toString(), notice.currency, notice.valueDate, notice.payerReference ?? null],
      );
      if (!claimed[0]) {
        const previous: { response: CreditOutcome }[] = await m.query(`SELECT response FROM bank_credits WHERE bank_code = $1 AND bank_transaction_id = $2`, [bank, notice.bankTransactionId]);
        return { outcome: previous[0].response, replayed: true };
      }
      const outcome = await this.apply(m, claimed[0].id, bank, account, notice, amount);
      await m.query(`UPDATE bank_credits SET contract_id = $2, applied = $3, to_suspense = $4, outcome = $5, response = $6 WHERE id = $1`, [
        claimed[0].id,
        outcome.contractId,
        outcome.applied,
        outcome.toSuspense,
        outcome.outcome,
        JSON.stringify(outcome),
      ]);
      return { outcome, replayed: false };
    });
  }

  private async apply(
    m: EntityManager,
    creditId: string,
    bank: string,
    account: { id: string; institution_id: string; currency: string; district_code: string },
    notice: CreditNotice,
    amount: Money,
  ): Promise<CreditOutcome> {
    const contract = notice.payerReference ? await this.contracts.findByReferenceForUpdate(m, account.id, notice.payerReference) : null;
    const payable = contract && ['awaiting_payment', 'active'].includes(contract.state);
    let exception: string | null = null;
    let applied = Money.zero(amount.currency);
    if (!contract || !payable) exception = 'UNMATCHED_CREDIT';
    else if (contract.currency !== amount.currency) exception = 'CREDIT_CURRENCY_MISMATCH';
    else {
      const due = Money.fromDb(contract.total_price, contract.currency).minus(Money.fromDb(contract.amount_paid, contract.currency));
      applied = amount.gt(due) ? due : amount;
      if (amount.gt(due)) exception = 'OVERPAYMENT';
    }
    const excess = amount.minus(applied);
    const ref = `credit.${bank}.${notice.bankTransactionId}`;
    const specs: AccountSpec[] = [
      { type: 'bank_cash', escrowAccountId: account.id, institutionId: account.institution_id, currency: amount.currency },
      { type: 'suspense', escrowAccountId: account.id, institutionId: account.institution_id, currency: amount.currency },
    ];
    if (contract && applied.isPositive()) {
      specs.push({ type: 'contract_held', contractId: contract.id, institutionId: account.institution_id, escrowAccountId: account.id, currency: amount.currency });
    }
    const rows = await this.ledger.openAccounts(m, specs);
    const cash = rows.find((r) => r.type === 'bank_cash')!;
    const suspense = rows.find((r) => r.type === 'suspense')!;
    const held = rows.find((r) => r.type === 'contract_held');
    let state = contract?.state ?? null;
    if (contract && held && applied.isPositive()) {
      await this.ledger.post({ type: 'funding', externalRef: ref, memo: `payment ${notice.bankTransactionId} for ${contract.reference}`, postings: transfer(cash.id, held.id, applied) }, m);
      const paidInFull = Money.fromDb(contract.amount_paid, contract.currency).plus(applied).eq(Money.fromDb(contract.total_price, contract.currency));
      await this.contracts.addPayment(m, contract.id, applied.toString(), paidInFull && contract.state === 'awaiting_payment');
      if (paidInFull) state = 'active';
    }
    if (excess.isPositive()) {
      await this.ledger.post({ type: 'funding', externalRef: `${ref}.suspense`, memo: `unmatched part of ${notice.bankTransactionId}: ${exception}`, postings: transfer(cash.id, suspense.id, excess) }, m);
    }
    if (exception) {
      const details = { creditId, bankTransactionId: notice.bankTransactionId, payerReference: notice.payerReference ?? null, amount: amount.toString(), toSuspense: excess.toString() };
      await m.query(`INSERT INTO escrow_exceptions (escrow_account_id, institution_id, type, amount, currency, details) VALUES ($1, $2, $3, $4, $5, $6)`, [
        account.id,
        account.institution_id,
        exception,
        excess.toString(),
        amount.currency,
        JSON.stringify(details),
      ]);
      await this.events.raise(m, {
        institutionId: account.institution_id,
        districtCode: account.district_code,
        type: exception,
        severity: 'warning',
        message: `${excess} ${amount.currency} of bank credit ${notice.bankTransactionId} held in suspense (${exception})`,
        details,
        dedupeKey: `credit-exception:${creditId}`,
      });
    }
    return {
      creditId,
      bankTransactionId: notice.bankTransactionId,
      outcome: !applied.isPositive() ? 'suspense' : excess.isPositive() ? 'applied_with_excess' : 'applied',
      contractId: contract && applied.isPositive() ? contract.id : null,
      contractState: contract && applied.isPositive() ? state : null,
      applied: applied.toString(),
      toSuspense: excess.toString(),
      currency: amount.currency,
      exception,
    };
  }
}
