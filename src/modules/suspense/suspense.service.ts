import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { chinaDate, Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { BankCreditsService, SuspenseCreditRow } from '@modules/bank-credits/bank-credits.service';
import { PAYABLE_STATES } from '@modules/contracts/contract-state-machine';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { MoneyMovementsService, PayeeAccount } from '@modules/money-movements/money-movements.service';
import { PoliciesService } from '@modules/policies/policies.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { ResolutionRow, SuspenseRepository } from './suspense.repository';

export type Resolution = { action: 'apply'; contractId: string; reason: string } | { action: 'return'; reason: string; payee?: PayeeAccount | null };

export interface SuspenseItem {
  credit: SuspenseCreditRow;
  resolution: ResolutionRow | null;
}

const itemNotFound = (id: string) => new DomainError('SUSPENSE_ITEM_NOT_FOUND', `Suspense item ${id} not found`);
export const DEFAULT_SUSPENSE_DAYS = 15;

/**
 * Money stuck in suspense: each credit's part held there is resolved once, with a reason, by a
 * regulator of the district or an admin: applied to a contract of the same escrow account (a
 * credit of that contract, within what it still owes) or returned to the payer's original account
 * as a `return` movement (suspense → refund payable, paid out by the bank like a refund). Items
 * older than the policy's days raise a supervision event.
 */
@Injectable()
export class SuspenseService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: SuspenseRepository,
    private readonly credits: BankCreditsService,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly institutions: InstitutionsService,
    private readonly contracts: ContractsService,
    private readonly ledger: LedgerService,
    private readonly movements: MoneyMovementsService,
    private readonly policies: PoliciesService,
    private readonly events: SupervisionEventsService,
    private readonly clock: Clock,
  ) {}

  /** An institution's suspense items (every escrow account it has had), resolved or not. */
  async list(who: Principal, institutionId: string): Promise<SuspenseItem[]> {
    const accounts = await this.escrowAccounts.list(who, institutionId);
    const credits = await this.credits.suspenseCredits(this.ds.manager, { escrowAccountIds: accounts.map((a) => a.id) });
    const resolutions = new Map((await this.repo.ofCredits(this.ds.manager, credits.map((c) => c.id))).map((r) => [r.credit_id, r]));
    return credits.map((credit) => ({ credit, resolution: resolutions.get(credit.id) ?? null }));
  }

  resolve(who: Principal, creditId: string, r: Resolution): Promise<SuspenseItem & { replayed: boolean }> {
    return this.ds.transaction(async (m) => {
      // The credit row is locked: two resolutions of one item are serialised, and the unique index decides anyway.
      const [credit] = await this.credits.suspenseCredits(m, { creditId, lock: true, limit: 1 });
      const escrow = credit ? await this.escrowAccounts.find(m, credit.escrow_account_id) : null;
      const inst = escrow ? await this.institutions.findById(m, escrow.institutionId) : null;
      requireInstitutionAccess(who, inst, 'supervise', () => itemNotFound(creditId));
      const done = await this.repo.byCredit(m, credit.id);
      if (done) {
        const same = done.action === r.action && (r.action !== 'apply' || done.contract_id === r.contractId);
        if (!same) throw new DomainError('SUSPENSE_ALREADY_RESOLVED', `Suspense item ${creditId} was already resolved (${done.action})`, { resolution: { action: done.action, contractId: done.contract_id } });
        return { credit, resolution: done, replayed: true };
      }
      const amount = Money.fromDb(credit.to_suspense, credit.currency);
      const base = { credit_id: credit.id, escrow_account_id: escrow!.id, institution_id: inst!.id, amount: amount.toString(), currency: amount.currency, reason: r.reason, resolved_by: who.id };
      let resolution: ResolutionRow;
      if (r.action === 'apply') {
        const contract = await this.contracts.lockForUpdate(m, r.contractId);
        if (!contract || contract.escrow_account_id !== escrow!.id) throw new DomainError('CONTRACT_NOT_FOUND', `Contract ${r.contractId} not found on this escrow account`);
        if (!PAYABLE_STATES.includes(contract.state)) throw new DomainError('CONTRACT_NOT_PAYABLE', `A contract that is ${contract.state} takes no payment`, { contractState: contract.state });
        if (contract.currency !== amount.currency) throw new DomainError('CURRENCY_MISMATCH', `The contract is in ${contract.currency}, the item in ${amount.currency}`);
        const due = ContractsService.amountDue(contract);
        if (amount.gt(due)) throw new DomainError('SUSPENSE_EXCEEDS_DUE', `The item (${amount}) is more than the contract still owes (${due})`, { amount: amount.toString(), due: due.toString() });
        const owner = { escrowAccountId: escrow!.id, institutionId: inst!.id, contractId: contract.id, currency: amount.currency };
        const txn = await this.ledger.postLegs(m, {
          type: 'funding',
          owner,
          legs: [{ from: 'suspense', to: 'contract_held', amount }],
          externalRef: `suspense.${credit.id}.apply`,
          memo: `suspense item ${credit.bank_transaction_id} applied to ${contract.reference}: ${r.reason}`,
          actor: who.id,
        });
        await this.contracts.recordFunding(m, contract, amount);
        resolution = await this.repo.insert(m, { ...base, action: 'apply', contract_id: contract.id, movement_id: null, ledger_txn_id: txn.id });
      } else {
        const payee = r.payee ?? (credit.payer_account_number ? { bank: credit.payer_bank, accountNumber: credit.payer_account_number, accountName: credit.payer_account_name } : null);
        if (!payee) throw new DomainError('REFUND_PAYER_ACCOUNT_UNKNOWN', 'The credit did not name the account it came from; give the payee account to return it to');
        const { movement } = await this.movements.instruct(m, {
          kind: 'return',
          escrowAccountId: escrow!.id,
          institutionId: inst!.id,
          contractId: null,
          amount,
          payee,
          sourceRef: `suspense.${credit.id}`,
          memo: `suspense item ${credit.bank_transaction_id} returned: ${r.reason}`,
        });
        resolution = await this.repo.insert(m, { ...base, action: 'return', contract_id: null, movement_id: movement.id, ledger_txn_id: movement.ledger_txn_id });
      }
      await this.events.raise(m, {
        institutionId: inst!.id,
        districtCode: inst!.districtCode,
        type: 'SUSPENSE_RESOLVED',
        severity: 'info',
        message: `Suspense item ${credit.bank_transaction_id} (${amount} ${amount.currency}) ${r.action === 'apply' ? 'applied to a contract' : 'returned to the payer'}: ${r.reason}`,
        details: { creditId: credit.id, action: r.action, contractId: resolution.contract_id, movementId: resolution.movement_id, by: who.id },
        dedupeKey: `suspense-resolved:${credit.id}`,
      });
      return { credit, resolution, replayed: false };
    });
  }

  /** Unresolved items older than their district's policy days: one SUSPENSE_AGED event each. */
  async raiseAged(today: string): Promise<{ aged: number }> {
    // The shortest window any policy may set is one day: nothing received since yesterday can be aged.
    const credits = await this.credits.suspenseCredits(this.ds.manager, { receivedBefore: new Date(`${addDaysTo(today, -1)}T00:00:00+08:00`), limit: 5000 });
    const resolved = new Set((await this.repo.ofCredits(this.ds.manager, credits.map((c) => c.id))).map((r) => r.credit_id));
    const days = new Map<string, number>();
    let aged = 0;
    for (const c of credits.filter((x) => !resolved.has(x.id))) {
      await this.ds.transaction(async (m: EntityManager) => {
        const escrow = (await this.escrowAccounts.find(m, c.escrow_account_id))!;
        const inst = (await this.institutions.findById(m, escrow.institutionId))!;
        if (!days.has(inst.districtCode)) days.set(inst.districtCode, (await this.policies.resolve(inst.districtCode, today, m)).rules.suspenseResolutionDays ?? DEFAULT_SUSPENSE_DAYS);
        const limit = days.get(inst.districtCode)!;
        const since = chinaDate(new Date(c.received_at));
        if (addDaysTo(since, limit) >= today) return;
        const raised = await this.events.raise(m, {
          institutionId: inst.id,
          districtCode: inst.districtCode,
          type: 'SUSPENSE_AGED',
          severity: 'warning',
          message: `${c.to_suspense} ${c.currency} of bank credit ${c.bank_transaction_id} has waited in suspense since ${since} (more than ${limit} days)`,
          details: { creditId: c.id, since, days: limit, amount: c.to_suspense },
          dedupeKey: `suspense-aged:${c.id}`,
        });
        if (raised) aged += 1;
      });
    }
    return { aged };
  }
}
