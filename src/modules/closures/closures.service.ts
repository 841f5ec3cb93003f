import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { chinaDate, Clock } from '@common/clock';
import { addMonths } from '@common/dates';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { ContractsService } from '@modules/contracts/contracts.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { kindOf } from '@modules/money-movements/kinds';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { PoliciesService } from '@modules/policies/policies.service';
import { OPEN_STATES } from './closure-refunds.service';
import { ClosureContractRow, ClosureRow, ClosuresRepository } from './closures.repository';

const closureNotFound = (id: string) => new DomainError('CLOSURE_NOT_FOUND', `Closure ${id} not found`);
const DEFAULT_NOTICE_MONTHS = 1;
/** The planned-closure job acts for the system (its audit trail names it). */
const SYSTEM: Principal = { id: '00000000-0000-0000-0000-000000000000', name: 'planned closures job', role: 'admin', districts: [], institutionId: null, bankCode: null };

export interface ClosureProgress {
  closure: ClosureRow;
  open: number;
  processed: number;
  refunded: number;
  transferred: number;
  owed: number;
  nothing: number;
  refundedAmount: Money;
  transferredAmount: Money;
  owedAmount: Money;
}

/** What completion needs, with the figures (all zero, the account reconciled after the last movement). */
export interface CompletionCheck {
  ready: boolean;
  problems: string[];
  figures: Record<string, string | number | null>;
}

/**
 * Closures (停办). A regulator of the district (or an admin) opens one: immediate (absconded,
 * revoked: it starts now) or planned (announced now with the policy's notice, `closureNoticeMonths`,
 * default 1; no new contract from now on; it starts on its date, by a daily queued job, exactly
 * once). Starting: the institution is closing, its escrow account frozen (no release; refunds and
 * transfers still go out) and the bulk refunds queued (ClosureRefundsService). Completion: when
 * every contract is processed, the escrow ledger of the institution is zero and its escrow account
 * reconciled after the last movement; then the institution is closed.
 */
@Injectable()
export class ClosuresService implements OnModuleInit {
  private readonly logger = new Logger(ClosuresService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ClosuresRepository,
    private readonly institutions: InstitutionsService,
    private readonly escrowAccounts: EscrowAccountsService,
    private readonly contracts: ContractsService,
    private readonly policies: PoliciesService,
    private readonly ledger: LedgerService,
    private readonly movements: MoneyMovementsService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** Refunds rank before the institution: a failed release to a closing institution is not sent again while its payers are (or may be) owed. */
  onModuleInit(): void {
    this.movements.guardReinstruction(async (m, failed) => {
      if (kindOf(failed.kind).payee !== 'institution_basic_account') return;
      const open = await this.repo.payersFirst(m, failed.institution_id);
      if (open) throw new DomainError('CLOSURE_PAYERS_FIRST', 'The institution is closing: its payers are refunded before anything is paid to it', { closureId: open.closureId, owed: open.owed });
    });
  }

  async open(who: Principal, institutionId: string, cmd: { kind: 'immediate' | 'planned'; reason: string; closureDate?: string }): Promise<ClosureRow> {
    const inst = await this.institutions.getSupervised(who, institutionId);
    const existing = await this.repo.ofInstitution(this.ds.manager, inst.id);
    if (existing) throw new DomainError('CLOSURE_ALREADY_OPEN', 'This institution already has a closure', { closureId: existing.id });
    const today = this.clock.today();
    let closureDate = today;
    if (cmd.kind === 'planned') {
      const months = (await this.policies.resolve(inst.districtCode, today)).rules.closureNoticeMonths ?? DEFAULT_NOTICE_MONTHS;
      const earliest = addMonths(today, months);
      closureDate = cmd.closureDate ?? earliest;
      if (closureDate < earliest) throw new DomainError('CLOSURE_NOTICE_TOO_SHORT', `A planned closure needs ${months} month(s) of notice: the earliest date is ${earliest}`, { earliest, noticeMonths: months, closureDate });
      if (closureDate > addMonths(today, 24)) throw new DomainError('VALIDATION_FAILED', 'A planned closure is at most 24 months ahead', { fields: ['closureDate'] });
    } else if (cmd.closureDate !== undefined) {
      throw new DomainError('VALIDATION_FAILED', 'An immediate closure starts today: closureDate is given only for a planned one', { fields: ['closureDate'] });
    }
    // First stop new contracts (both kinds), then, for an immediate closure, releases; refunds rank before any release.
    await this.institutions.markClosing(who, inst.id, `closure: ${cmd.reason}`, closureDate);
    if (cmd.kind === 'immediate') await this.freeze(who, inst.id, cmd.reason);
    return this.ds.transaction(async (m) => {
      const closure = await this.repo.insert(m, { institutionId: inst.id, districtCode: inst.districtCode, kind: cmd.kind, reason: cmd.reason, openedBy: who.id, closureDate });
      if (!closure) throw new DomainError('CLOSURE_ALREADY_OPEN', 'This institution already has a closure');
      if (cmd.kind === 'immediate') await this.outbox.enqueue(m, JobName.ClosureRefunds, { closureId: closure.id }, jobId('closure-refunds', closure.id));
      return closure;
    });
  }

  /**
   * Daily: planned closures whose date has come start (frozen, bulk refunds queued), each exactly
   * once: the state change announced → refunding and the job's outbox row commit together under
   * the closure's row lock (SKIP LOCKED, so two runs never take the same one).
   */
  async startDue(today = this.clock.today(), limit = 100): Promise<{ started: string[] }> {
    const due = await this.repo.claimDue(this.ds.manager, today, limit);
    const started: string[] = [];
    for (const c of due) {
      await this.freeze(SYSTEM, c.institution_id, c.reason);
      const ok = await this.ds.transaction(async (m) => {
        const locked = await this.repo.find(m, c.id, true);
        if (locked?.state !== 'announced' || !(await this.repo.start(m, c.id))) return false;
        await this.outbox.enqueue(m, JobName.ClosureRefunds, { closureId: c.id }, jobId('closure-refunds', c.id));
        return true;
      });
      if (ok) started.push(c.id);
    }
    if (started.length) this.logger.log(`Planned closures started: ${started.join(', ')}`);
    return { started };
  }

  async get(who: Principal, id: string): Promise<ClosureRow> {
    const c = await this.repo.find(this.ds.manager, id);
    const inst = c ? await this.institutions.findById(this.ds.manager, c.institution_id) : null;
    requireInstitutionAccess(who, inst, 'read', () => closureNotFound(id));
    return c!;
  }

  async progress(who: Principal, id: string): Promise<ClosureProgress> {
    const closure = await this.get(who, id);
    const rows = await this.repo.report(this.ds.manager, id);
    const open = (await this.contracts.idsInStates(closure.institution_id, [...OPEN_STATES])).length;
    const sum = (outcome: string) => Money.sum(rows.filter((r) => r.outcome === outcome).map((r) => Money.fromDb(r.amount)));
    const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
    return {
      closure,
      open,
      processed: rows.length,
      refunded: count('refunded'),
      transferred: count('transferred'),
      owed: rows.filter((r) => Money.fromDb(r.owed).isPositive()).length,
      nothing: count('nothing'),
      refundedAmount: sum('refunded'),
      transferredAmount: sum('transferred'),
      owedAmount: Money.sum(rows.map((r) => Money.fromDb(r.owed))),
    };
  }

  async report(who: Principal, id: string): Promise<{ closure: ClosureRow; rows: ClosureContractRow[] }> {
    const closure = await this.get(who, id);
    return { closure, rows: await this.repo.report(this.ds.manager, id) };
  }

  /**
   * Completes the closure: 422 CLOSURE_NOT_COMPLETE with the figures until every contract is
   * processed, the institution's escrow ledger is zero (held, unsettled, refund and transfer
   * payable, suspense, bank cash), no movement waits for the bank, and the escrow account's
   * latest account-day is reconciled, on or after the day of the last execution, with no exception
   * left. Then the closure is completed, the escrow account closed and the institution closed.
   */
  async complete(who: Principal, id: string): Promise<ClosureRow> {
    const closure = await this.repo.find(this.ds.manager, id);
    const inst = closure ? await this.institutions.findById(this.ds.manager, closure.institution_id) : null;
    requireInstitutionAccess(who, inst, 'supervise', () => closureNotFound(id));
    if (closure!.state === 'completed') return closure!;
    const check = await this.completionCheck(closure!);
    if (!check.ready) throw new DomainError('CLOSURE_NOT_COMPLETE', `The closure cannot complete yet: ${check.problems.join('; ')}`, { problems: check.problems, figures: check.figures });
    const escrow = await this.escrowAccounts.current(this.ds.manager, closure!.institution_id);
    if (escrow && escrow.state !== 'closed') await this.escrowAccounts.change(who, escrow.id, 'close', `closure ${id} completed`);
    return this.ds.transaction(async (m) => {
      const locked = (await this.repo.find(m, id, true))!;
      if (locked.state === 'completed') return locked;
      if (!(await this.repo.markCompleted(m, id))) throw new DomainError('CLOSURE_NOT_COMPLETE', `The closure is ${locked.state}`, { state: locked.state });
      await this.institutions.markClosed(m, locked.institution_id, who.id, `closure ${id} completed`);
      return (await this.repo.find(m, id))!;
    });
  }

  async completionCheck(closure: ClosureRow): Promise<CompletionCheck> {
    const m = this.ds.manager;
    const problems: string[] = [];
    if (closure.state !== 'refunds_done') problems.push(`the closure is ${closure.state}, its contracts are not all processed`);
    const escrow = await this.escrowAccounts.current(m, closure.institution_id);
    const currency = escrow?.currency ?? 'CNY';
    const figures: CompletionCheck['figures'] = { state: closure.state, currency };
    const funds = await this.ledger.institutionFunds(closure.institution_id, currency, m);
    const balances: [string, Money][] = [['held', funds.held], ['unsettled', funds.unsettled]];
    if (escrow) {
      const owner = { escrowAccountId: escrow.id, institutionId: closure.institution_id, currency };
      for (const kind of ['refund_payable', 'transfer_payable', 'closure_pool', 'suspense', 'bank_cash'] as const) balances.push([kind, await this.ledger.balanceOf(kind, owner, m)]);
    }
    for (const [name, value] of balances) {
      figures[name] = value.toString();
      if (!value.isZero()) problems.push(`${name} is ${value} ${currency}, not zero`);
    }
    if (escrow) {
      const moving = await this.movements.settledness(m, escrow.id);
      const recon = await this.repo.reconciliation(m, escrow.id);
      const lastExecutedDay = moving.lastExecutedAt ? chinaDate(new Date(moving.lastExecutedAt)) : null;
      Object.assign(figures, { movementsWaiting: moving.open, lastExecutedDay, lastReconciledDay: recon.lastDay?.business_date ?? null, lastDayStatus: recon.lastDay?.status ?? null, unresolvedExceptions: recon.unresolved });
      if (moving.open > 0) problems.push(`${moving.open} movement(s) still wait for the bank`);
      if (!recon.lastDay || recon.lastDay.status !== 'reconciled') problems.push('the escrow account’s latest day is not reconciled');
      else if (lastExecutedDay && recon.lastDay.business_date < lastExecutedDay) problems.push(`the escrow account is reconciled up to ${recon.lastDay.business_date}, before the last movement (${lastExecutedDay})`);
      if (recon.unresolved > 0) problems.push(`${recon.unresolved} reconciliation exception(s) are not resolved`);
    }
    return { ready: problems.length === 0, problems, figures };
  }

  private async freeze(who: Principal, institutionId: string, reason: string): Promise<void> {
    const escrow = await this.escrowAccounts.current(this.ds.manager, institutionId);
    if (escrow?.state !== 'active') return;
    try {
      await this.escrowAccounts.change(who, escrow.id, 'freeze', `closure: ${reason}`);
    } catch (err) {
      // Frozen meanwhile by another run (or a regulator): what was wanted.
      if (!(err instanceof DomainError && err.code === 'INVALID_ESCROW_TRANSITION')) throw err;
    }
  }
}
