import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { isKnownCurrency } from '@common/money/currency';
import { Money } from '@common/money/money';
import { isUniqueViolation } from '@infra/database/pg-errors';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { BanksService } from '@modules/banks/banks.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { EscrowAccount, EscrowAccountsRepository, EscrowEventRow, EscrowMode, EscrowState } from './escrow-accounts.repository';

export type { EscrowAccount } from './escrow-accounts.repository';

export interface FileEscrowAccountCommand {
  bankCode: string;
  accountNumber: string;
  accountName: string;
  currency?: string;
  mode: EscrowMode;
  requiredReserve?: string;
  agreementReference: string;
}

const TRANSITIONS: Record<'freeze' | 'unfreeze' | 'close', { from: EscrowState[]; to: EscrowState }> = {
  freeze: { from: ['active'], to: 'frozen' },
  unfreeze: { from: ['frozen'], to: 'active' },
  close: { from: ['active', 'frozen'], to: 'closed' },
};

/**
 * The filed custody arrangement (监管专户). At most one current account per institution.
 * A frozen account still receives payments and pays refunds but releases nothing to the
 * institution; every freeze, unfreeze and closure is audited with its reason.
 */
@Injectable()
export class EscrowAccountsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: EscrowAccountsRepository,
    private readonly institutions: InstitutionsService,
    private readonly banks: BanksService,
    private readonly events: SupervisionEventsService,
    private readonly outbox: OutboxService,
  ) {}

  async file(who: Principal, institutionId: string, cmd: FileEscrowAccountCommand): Promise<EscrowAccount> {
    const currency = cmd.currency ?? 'CNY';
    if (!isKnownCurrency(currency)) throw new DomainError('VALIDATION_FAILED', `Unknown currency ${currency}`, { currency });
    if (cmd.mode === 'risk_reserve' && cmd.requiredReserve === undefined) {
      throw new DomainError('VALIDATION_FAILED', 'A risk-reserve account needs requiredReserve', { mode: cmd.mode });
    }
    if (cmd.mode === 'full_custody' && cmd.requiredReserve !== undefined) {
      throw new DomainError('VALIDATION_FAILED', 'requiredReserve applies to risk-reserve accounts only', { mode: cmd.mode });
    }
    const reserve = cmd.requiredReserve === undefined ? null : Money.parse(cmd.requiredReserve, currency, 'requiredReserve');
    if (reserve?.isNegative()) throw new DomainError('INVALID_AMOUNT', 'requiredReserve must not be negative');
    try {
      return await this.ds.transaction(async (m) => {
        await this.institutions.getSupervised(who, institutionId, m, true);
        // An account at a bank the platform does not know could never be instructed or reconciled.
        if (!(await this.banks.exists(cmd.bankCode, m))) {
          throw new DomainError('UNKNOWN_BANK', `Bank ${cmd.bankCode} is not registered: register it (POST /admin/banks) before filing accounts there`, { field: 'bankCode', bankCode: cmd.bankCode });
        }
        const current = await this.repo.findCurrent(m, institutionId);
        if (current) throw new DomainError('ACTIVE_ESCROW_ACCOUNT_EXISTS', 'The institution already has a current escrow account; close it first', { escrowAccountId: current.id });
        const account = await this.repo.insert(m, {
          institutionId,
          bankCode: cmd.bankCode,
          accountNumber: cmd.accountNumber,
          accountName: cmd.accountName,
          currency,
          mode: cmd.mode,
          requiredReserve: reserve,
          agreementReference: cmd.agreementReference,
          state: 'active',
          createdBy: who.id,
        });
        await this.repo.recordEvent(m, account.id, 'filed', `agreement ${cmd.agreementReference}`, who.id);
        return account;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'escrow_accounts_bank_account_key')) {
        throw new DomainError('CONFLICT', 'That bank account is already filed', { bankCode: cmd.bankCode, accountNumber: cmd.accountNumber });
      }
      if (isUniqueViolation(err, 'escrow_accounts_one_current')) {
        throw new DomainError('ACTIVE_ESCROW_ACCOUNT_EXISTS', 'The institution already has a current escrow account');
      }
      throw err;
    }
  }

  async get(who: Principal, id: string, m: EntityManager = this.ds.manager): Promise<EscrowAccount> {
    const account = await this.repo.findById(m, id);
    const visible = account && (await this.institutions.getVisible(who, account.institutionId, m).then(() => true, () => false));
    if (!account || !visible) throw new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `Escrow account ${id} not found`);
    return account;
  }

  /** The custody bank of an escrow account (null if none): for access rules that admit a bank to its own accounts. */
  async bankCodeOf(id: string, m: EntityManager = this.ds.manager): Promise<string | null> {
    return (await this.repo.findById(m, id))?.bankCode ?? null;
  }

  async list(who: Principal, institutionId: string): Promise<EscrowAccount[]> {
    await this.institutions.getVisible(who, institutionId);
    return this.repo.listForInstitution(this.ds.manager, institutionId);
  }

  history(id: string): Promise<EscrowEventRow[]> {
    return this.repo.events(this.ds.manager, id);
  }

  current(m: EntityManager, institutionId: string): Promise<EscrowAccount | null> {
    return this.repo.findCurrent(m, institutionId);
  }

  /** Internal read (no caller scope): the account a money movement or a bank credit names. */
  find(m: EntityManager, id: string): Promise<EscrowAccount | null> {
    return this.repo.findById(m, id);
  }

  /** Internal read (no caller scope): the account a bank's notice names by its number at that bank. */
  findByBankAccount(m: EntityManager, bankCode: string, accountNumber: string): Promise<EscrowAccount | null> {
    return this.repo.findByBankAccount(m, bankCode, accountNumber);
  }

  async change(who: Principal, id: string, action: 'freeze' | 'unfreeze' | 'close', reason: string): Promise<EscrowAccount> {
    return this.ds.transaction(async (m) => {
      const account = await this.repo.findById(m, id, true);
      if (!account) throw new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `Escrow account ${id} not found`);
      const inst = await this.institutions.getSupervised(who, account.institutionId, m).catch((err: DomainError) => {
        throw err.code === 'INSTITUTION_NOT_FOUND' ? new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `Escrow account ${id} not found`) : err;
      });
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(account.state)) {
        throw new DomainError('INVALID_ESCROW_TRANSITION', `An escrow account that is ${account.state} cannot ${action}`, { state: account.state, action });
      }
      const updated = await this.repo.setState(m, id, rule.to);
      await this.repo.recordEvent(m, id, action, reason, who.id);
      if (action === 'unfreeze') {
        // Releases held back while frozen go out now, through the outbox (same transaction).
        const n = (await this.repo.events(m, id)).length;
        await this.outbox.enqueue(m, JobName.ReleasePendingLessons, { institutionId: inst.id }, jobId('release-pending', id, String(n)));
      }
      await this.events.raise(m, {
        institutionId: inst.id,
        districtCode: inst.districtCode,
        type: `ESCROW_${action.toUpperCase()}`,
        severity: action === 'unfreeze' ? 'info' : 'critical',
        message: `Escrow account ${account.bankCode}/${account.accountNumber}: ${action} (${reason})`,
        details: { escrowAccountId: id, reason },
        dedupeKey: `escrow-${action}:${id}:${(await this.repo.events(m, id)).length}`,
      });
      return updated;
    });
  }
}
