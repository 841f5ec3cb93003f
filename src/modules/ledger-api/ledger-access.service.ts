import { Injectable } from '@nestjs/common';
import { Principal } from '@common/auth/principal';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { accountNotFound } from '@modules/ledger/ledger.errors';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerAccountRow, LedgerOwner } from '@modules/ledger/ledger.types';

/**
 * Who may read which ledger account: the owner's scope, or a bank for its escrow accounts.
 * Anything else is the same 404 as a missing account, naming nothing, so a caller learns
 * nothing about what exists outside its scope.
 */
@Injectable()
export class LedgerAccessService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly institutions: InstitutionsService,
    private readonly escrow: EscrowAccountsService,
    private readonly contracts: ContractsService,
  ) {}

  visibleInstitution(who: Principal, id: string) {
    return this.institutions.getVisible(who, id);
  }

  async visibleAccount(who: Principal, id: string): Promise<LedgerAccountRow> {
    return this.check(who, await this.ledger.findAccount(id));
  }

  /** The ledger owner of a contract the caller may see (its account may not be open yet: no money so far). */
  async visibleContract(who: Principal, contractId: string): Promise<LedgerOwner> {
    const c = await this.contracts.get(who, contractId).catch(() => Promise.reject(accountNotFound()));
    return { escrowAccountId: c.escrow_account_id, institutionId: c.institution_id, contractId: c.id, currency: c.currency };
  }

  private async check(who: Principal, account: LedgerAccountRow | null): Promise<LedgerAccountRow> {
    if (!account) throw accountNotFound();
    if (who.role === 'admin') return account;
    if (!(await this.canSee(who, account))) throw accountNotFound();
    return account;
  }

  private async canSee(who: Principal, a: LedgerAccountRow): Promise<boolean> {
    if (who.role === 'bank') {
      if (!a.escrow_account_id) return false;
      return (await this.escrow.bankCodeOf(a.escrow_account_id)) === who.bankCode;
    }
    if (a.institution_id) return this.institutions.getVisible(who, a.institution_id).then(() => true, () => false);
    if (a.escrow_account_id) return this.escrow.get(who, a.escrow_account_id).then(() => true, () => false);
    return false;
  }
}
