import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { mayAccessBank, requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { Institution, InstitutionsService } from '@modules/institutions/institutions.service';
import { accountNotFound } from '@modules/ledger/ledger.errors';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerAccountRow, LedgerOwner } from '@modules/ledger/ledger.types';

/**
 * Who may read which ledger account, by the two rules of `access.ts`: the bank rule for the
 * custody bank of the account's escrow account, the district rule for its institution.
 * Anything else is the same 404 as a missing account, naming nothing, so a caller learns
 * nothing about what exists outside its scope.
 */
@Injectable()
export class LedgerAccessService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly ledger: LedgerService,
    private readonly institutions: InstitutionsService,
    private readonly escrow: EscrowAccountsService,
    private readonly contracts: ContractsService,
  ) {}

  visibleInstitution(who: Principal, id: string): Promise<Institution> {
    return this.institutions.access(who, id, 'read');
  }

  async visibleAccount(who: Principal, id: string): Promise<LedgerAccountRow> {
    const account = await this.ledger.findAccount(id);
    if (!account) throw accountNotFound();
    const m = this.ds.manager;
    const escrow = account.escrow_account_id ? await this.escrow.find(m, account.escrow_account_id) : null;
    // A bank reads the accounts of the escrow accounts it keeps...
    if (mayAccessBank(who, escrow?.bankCode)) return account;
    // ...everyone else what the district rule lets them read of the account's institution.
    const institutionId = account.institution_id ?? escrow?.institutionId ?? null;
    requireInstitutionAccess(who, institutionId ? await this.institutions.findById(m, institutionId) : null, 'read', accountNotFound);
    return account;
  }

  /** The ledger owner of a contract the caller may see (its account may not be open yet: no money so far). */
  async visibleContract(who: Principal, contractId: string): Promise<LedgerOwner> {
    const c = await this.contracts.get(who, contractId).catch((err: unknown) => {
      throw err instanceof DomainError && err.status === 404 ? accountNotFound() : err;
    });
    return { escrowAccountId: c.escrow_account_id, institutionId: c.institution_id, contractId: c.id, currency: c.currency };
  }
}
