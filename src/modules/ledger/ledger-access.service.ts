import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal } from '../../common/auth/principal';
import { EscrowAccountsService } from '../escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '../institutions/institutions.service';
import { accountNotFound } from './ledger.errors';
import { AccountRow, LedgerRepository } from './ledger.repository';

/** Who may read which ledger account: the owner's scope, or a bank for its escrow accounts. 404 otherwise. */
@Injectable()
export class LedgerAccessService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LedgerRepository,
    private readonly institutions: InstitutionsService,
    private readonly escrow: EscrowAccountsService,
  ) {}

  visibleInstitution(who: Principal, id: string) {
    return this.institutions.getVisible(who, id);
  }

  async visibleAccount(who: Principal, id: string): Promise<AccountRow> {
    return this.check(who, await this.repo.findAccount(this.ds.manager, id), id);
  }

  async visibleAccountByCode(who: Principal, code: string): Promise<AccountRow> {
    return this.check(who, await this.repo.findAccountByCode(this.ds.manager, code), code);
  }

  private async check(who: Principal, account: AccountRow | null, ref: string): Promise<AccountRow> {
    if (!account) throw accountNotFound(ref);
    if (who.role === 'admin') return account;
    const visible = await this.canSee(who, account);
    if (!visible) throw accountNotFound(ref);
    return account;
  }

  private async canSee(who: Principal, a: AccountRow): Promise<boolean> {
    if (who.role === 'bank') {
      if (!a.escrow_account_id) return false;
      const rows: { bank_code: string }[] = await this.ds.query(`SELECT bank_code FROM escrow_accounts WHERE id = $1`, [a.escrow_account_id]);
      return rows[0]?.bank_code === who.bankCode;
    }
    if (a.institution_id) return this.institutions.getVisible(who, a.institution_id).then(() => true, () => false);
    if (a.escrow_account_id) return this.escrow.get(who, a.escrow_account_id).then(() => true, () => false);
    return false;
  }
}
