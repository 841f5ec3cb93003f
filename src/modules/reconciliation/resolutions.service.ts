import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';
import { isUniqueViolation, pgCode, pgConstraint, PG_CHECK_VIOLATION } from '@infra/database/pg-errors';
import { BankCreditsService } from '@modules/bank-credits/bank-credits.service';
import { EscrowAccountsService } from '@modules/escrow-accounts/escrow-accounts.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { CreateResolutionDto } from './dto/reconciliation-input.dto';
import { ResolutionOutcomeDto } from './dto/reconciliation.dto';
import { ReconciliationEngineService } from './reconciliation-engine.service';
import { exceptionNotFound, ReconciliationService } from './reconciliation.service';
import { toAdjustment, toResolution } from './reconciliation.views';
import { adjustmentAmount, checkApplyCredit, checkApproval, checkManualPair, checkReversalTarget, ExceptionFacts, manualPair, requireState, reversalEffect } from './resolution-rules';
import { AdjustmentRow, ExceptionViewRow, NewResolution, ResolutionRow, ResolutionsRepository } from './resolutions.repository';

/** The account-days a use case touched: each is recomputed once, at the end. */
type Days = Map<string, { escrowAccountId: string; businessDate: string }>;

const facts = (x: ExceptionViewRow): ExceptionFacts => ({
  type: x.type,
  state: x.state,
  effect: x.effect,
  currency: x.currency,
  statementId: x.statement_id,
  line: x.line,
  source: x.source,
  recordId: x.record_id,
});

const adjustmentNotFound = (id: string) => new DomainError('ADJUSTMENT_NOT_FOUND', `Adjustment ${id} not found`, { id });
const notOnAccount = (what: string) => new DomainError('RESOLUTION_NOT_APPLICABLE', `${what} is not on this exception's escrow account`, { what });

/**
 * Resolutions of reconciliation exceptions by people (issue 13): match by hand, accept a timing
 * difference, correct the ledger by an adjustment two different people agree on, apply an
 * unnotified credit through the normal credit path, or reverse an earlier resolution. Each use
 * case is one transaction: the account is locked as a run locks it (a run and a resolution of one
 * account take turns), then the exception row; every resolution is a new row with its actor, role
 * and reason (nothing is edited), and the account-days it touched are recomputed by the engine.
 */
@Injectable()
export class ResolutionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ResolutionsRepository,
    private readonly engine: ReconciliationEngineService,
    private readonly queries: ReconciliationService,
    private readonly ledger: LedgerService,
    private readonly credits: BankCreditsService,
    private readonly escrow: EscrowAccountsService,
  ) {}

  async resolve(who: Principal, exceptionId: string, body: CreateResolutionDto): Promise<ResolutionOutcomeDto> {
    return this.transaction(async (m) => {
      const x = await this.lockException(m, who, exceptionId);
      requireState(body.action, facts(x));
      const days: Days = new Map();
      const touch = (e: { escrow_account_id: string; business_date: string }) => days.set(`${e.escrow_account_id}:${e.business_date}`, { escrowAccountId: e.escrow_account_id, businessDate: e.business_date });
      touch(x);
      const base = { exceptionId: x.id, reason: body.reason, actor: who.id, actorRole: who.role };
      let resolution: ResolutionRow | null = null;
      let adjustment: AdjustmentRow | null = null;
      switch (body.action) {
        case 'manual_match':
          resolution = await this.manualMatch(m, x, body, base, touch);
          break;
        case 'timing_difference':
          // Accepted, not resolved: the difference still exists until a line or record clears it (a later run matches it).
          resolution = await this.repo.insertResolution(m, { ...base, action: 'timing_difference' });
          await this.engine.transitionException(m, x.id, 'accepted');
          break;
        case 'adjustment':
          adjustment = await this.propose(m, who, x, body.reason);
          break;
        case 'apply_credit':
          resolution = await this.applyCredit(m, x, body, base);
          break;
        case 'reversal':
          resolution = await this.reverse(m, who, x, body.resolutionId!, body.reason, touch);
          break;
      }
      // A proposal changes no exception: the day is recomputed when the adjustment is approved.
      if (body.action !== 'adjustment') for (const d of days.values()) await this.engine.refreshAccountDay(m, d.escrowAccountId, d.businessDate);
      return this.outcome(m, x.id, resolution, adjustment);
    });
  }

  /**
   * The second person: posts the adjustment to the ledger (bank cash against bank adjustment),
   * matches the exception's bank line to it when the line has no match, resolves the exception.
   * The proposer is refused here (409) and by the table's CHECK.
   */
  async approve(who: Principal, adjustmentId: string, reason: string): Promise<ResolutionOutcomeDto> {
    return this.transaction(async (m) => {
      const seen = await this.repo.adjustment(m, adjustmentId);
      if (!seen) throw adjustmentNotFound(adjustmentId);
      const x = await this.lockException(m, who, seen.exception_id, () => adjustmentNotFound(adjustmentId));
      const a = (await this.repo.adjustment(m, adjustmentId, true))!;
      checkApproval(a, who.id);
      requireState('adjustment', facts(x));
      const owner = { escrowAccountId: x.escrow_account_id, institutionId: x.institution_id, currency: a.currency.trim() };
      const amount = Money.fromDb(a.amount, owner.currency);
      const txn = await this.ledger.adjust(m, owner, amount, `reconciliation.adjustment.${a.id}`, `reconciliation ${x.type} ${x.business_date}: ${a.reason} / ${reason}`, who.id);
      const approved = await this.repo.approveAdjustment(m, a.id, who.id, txn.id);
      if (!approved) throw new DomainError('ADJUSTMENT_ALREADY_APPROVED', 'This adjustment is already approved', { id: a.id });
      // The bank line the ledger now agrees with is matched to the adjustment (a line already matched, as in an amount mismatch, stays as it is).
      let groupId: string | null = null;
      if (x.statement_id && x.line !== null && ['MISSING_IN_LEDGER', 'DUPLICATE_AT_BANK'].includes(x.type) && !(await this.repo.lineMatched(m, x.statement_id, x.line))) {
        groupId = await this.engine.recordMatch(m, { escrowAccountId: x.escrow_account_id, statementId: x.statement_id, line: x.line, parts: [{ source: 'adjustment', recordId: a.id }], method: 'manual', resolutionId: null });
      }
      const resolution = await this.repo.insertResolution(m, { exceptionId: x.id, action: 'adjustment', reason, actor: who.id, actorRole: who.role, adjustmentId: a.id, matchGroupId: groupId });
      await this.engine.transitionException(m, x.id, 'resolved');
      await this.engine.refreshAccountDay(m, x.escrow_account_id, x.business_date);
      return this.outcome(m, x.id, resolution, approved);
    });
  }

  private async manualMatch(m: EntityManager, x: ExceptionViewRow, body: CreateResolutionDto, base: Omit<NewResolution, 'action'>, touch: (e: ExceptionViewRow) => void): Promise<ResolutionRow> {
    const pair = manualPair(facts(x), body);
    const line = await this.engine.statementLine(m, pair.statementId, pair.line);
    if (!line || line.escrow_account_id !== x.escrow_account_id) throw notOnAccount(`Bank line ${pair.line} of statement ${pair.statementId}`);
    const record = await this.engine.expectedLine(m, pair.source, pair.recordId);
    if (!record || record.escrowAccountId !== x.escrow_account_id) throw notOnAccount(`The ${pair.source} ${pair.recordId}`);
    checkManualPair(
      { escrowAccountId: line.escrow_account_id, direction: line.direction, amount: line.amount, currency: line.currency, status: line.status, superseded: line.superseded },
      record,
    );
    const groupId = await this.engine.recordMatch(m, { escrowAccountId: x.escrow_account_id, statementId: pair.statementId, line: pair.line, parts: [{ source: pair.source, recordId: pair.recordId }], method: 'manual', resolutionId: null });
    const resolution = await this.repo.insertResolution(m, { ...base, action: 'manual_match', matchGroupId: groupId });
    await this.engine.transitionException(m, x.id, 'resolved');
    // The other side may have its own exception (the record missing at the bank, the line missing in the ledger): settled by the same match.
    for (const sibling of await this.repo.openSiblings(m, x.id, { statementId: pair.statementId, line: pair.line }, { source: pair.source, recordId: pair.recordId })) {
      await this.repo.insertResolution(m, { ...base, exceptionId: sibling.id, action: 'manual_match', matchGroupId: groupId });
      await this.engine.transitionException(m, sibling.id, 'resolved');
      touch(sibling);
    }
    return resolution;
  }

  /** An adjustment of the exception's effect (bank − ledger), proposed; one pending proposal per exception. */
  private async propose(m: EntityManager, who: Principal, x: ExceptionViewRow, reason: string): Promise<AdjustmentRow> {
    const amount = adjustmentAmount(facts(x));
    const pending = (await this.repo.adjustmentsOf(m, x.id)).find((a) => !a.approved_by);
    if (pending) throw new DomainError('ADJUSTMENT_PENDING', 'An adjustment of this exception is waiting for approval', { adjustmentId: pending.id });
    return this.repo.insertAdjustment(m, { exceptionId: x.id, escrowAccountId: x.escrow_account_id, amount: amount.toString(), currency: amount.currency, reason, proposedBy: who.id });
  }

  /** The unnotified credit goes through the bank-credits path (bank transaction id = the line's reference), then is matched to its line. */
  private async applyCredit(m: EntityManager, x: ExceptionViewRow, body: CreateResolutionDto, base: Omit<NewResolution, 'action'>): Promise<ResolutionRow> {
    const line = x.statement_id && x.line !== null ? await this.engine.statementLine(m, x.statement_id, x.line) : null;
    checkApplyCredit(facts(x), line);
    const l = line!;
    const account = await this.escrow.find(m, x.escrow_account_id);
    if (!account) throw exceptionNotFound(x.id);
    const provided = (v: string | null) => (v && v !== 'NOTPROVIDED' && v !== 'NONREF' ? v : null);
    const reference = provided(x.bank_reference) ?? provided(l.transaction_id) ?? provided(l.bank_reference) ?? provided(l.end_to_end_id) ?? `STMT-${l.statement_id}-${l.line}`;
    const { outcome } = await this.credits.receiveFromStatement(m, account, {
      bankTransactionId: reference,
      escrowAccountNumber: account.accountNumber,
      amount: l.amount,
      currency: l.currency.trim(),
      valueDate: l.value_date ?? l.booking_date ?? x.business_date,
      payerReference: body.payerReference ?? provided(l.end_to_end_id) ?? undefined,
    });
    const groupId = await this.engine.recordMatch(m, { escrowAccountId: x.escrow_account_id, statementId: l.statement_id, line: l.line, parts: [{ source: 'credit', recordId: outcome.creditId }], method: 'manual', resolutionId: null });
    const resolution = await this.repo.insertResolution(m, { ...base, action: 'apply_credit', creditId: outcome.creditId, matchGroupId: groupId });
    await this.engine.transitionException(m, x.id, 'resolved');
    return resolution;
  }

  /**
   * A new resolution that undoes one in force: its match group is reversed (the match rows stay,
   * marked reversed), an approved adjustment's ledger transaction is reversed; the exception, and
   * any other exception settled by the same match, is open again.
   */
  private async reverse(m: EntityManager, who: Principal, x: ExceptionViewRow, resolutionId: string, reason: string, touch: (e: { escrow_account_id: string; business_date: string }) => void): Promise<ResolutionRow> {
    const target = await this.repo.resolution(m, resolutionId);
    if (!target || target.exception_id !== x.id) throw new DomainError('RESOLUTION_NOT_FOUND', `Resolution ${resolutionId} of exception ${x.id} not found`, { resolutionId });
    if (target.reversed_by_id) throw new DomainError('RESOLUTION_ALREADY_REVERSED', 'This resolution is already reversed', { resolutionId, reversedById: target.reversed_by_id });
    checkReversalTarget(facts(x), target);
    const effect = reversalEffect(target.action);
    const groupId = target.match_group_id ?? (effect === 'none' ? null : await this.repo.groupOfResolution(m, target.id));
    const others = groupId ? (await this.repo.activeResolutionsOfGroup(m, groupId)).filter((r) => r.id !== target.id) : [];
    if (groupId) await this.engine.reverseMatchGroup(m, groupId, `resolution reversed: ${reason}`);
    if (effect === 'adjustment' && target.adjustment_id) {
      const a = await this.repo.adjustment(m, target.adjustment_id);
      if (a?.ledger_txn_id) await this.ledger.reverse(a.ledger_txn_id, `reconciliation adjustment ${a.id} reversed: ${reason}`, who.id, m);
    }
    const base = { reason, actor: who.id, actorRole: who.role, matchGroupId: groupId, adjustmentId: target.adjustment_id, creditId: target.credit_id };
    const resolution = await this.repo.insertResolution(m, { ...base, exceptionId: x.id, action: 'reversal', reversesId: target.id });
    await this.engine.transitionException(m, x.id, 'open');
    for (const other of others) {
      const sibling = await this.repo.exception(m, other.exception_id, true);
      await this.repo.insertResolution(m, { ...base, exceptionId: other.exception_id, action: 'reversal', reversesId: other.id });
      if (sibling?.state === 'resolved') await this.engine.transitionException(m, sibling.id, 'open');
      if (sibling) touch(sibling);
    }
    // Each side of the undone match stands alone again: its exception reopened or raised (never a vague balance break).
    if (groupId) for (const d of await this.engine.settleReversedMatch(m, groupId, { reason, actor: who.id, actorRole: who.role })) touch(d);
    return resolution;
  }

  /** Reads the exception (404 outside the caller's scope), locks its account as runs do, then the exception row itself. */
  private async lockException(m: EntityManager, who: Principal, id: string, onNotFound = () => exceptionNotFound(id)): Promise<ExceptionViewRow> {
    const seen = ReconciliationService.requireVisible(who, await this.repo.exception(m, id), id, 'supervise', onNotFound);
    await this.engine.lockAccount(m, seen.escrow_account_id);
    return (await this.repo.exception(m, id, true))!;
  }

  private async outcome(m: EntityManager, exceptionId: string, resolution: ResolutionRow | null, adjustment: AdjustmentRow | null): Promise<ResolutionOutcomeDto> {
    const fresh = resolution ? await this.repo.resolution(m, resolution.id) : null;
    return { exception: await this.queries.view(m, exceptionId), resolution: fresh ? toResolution(fresh) : null, adjustment: adjustment ? toAdjustment(adjustment) : null };
  }

  /** One transaction; what the database refuses on its own (two approvals by one person, a second reversal) is a 409, not a 500. */
  private async transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.ds.transaction(work);
    } catch (err) {
      if (pgCode(err) === PG_CHECK_VIOLATION && pgConstraint(err) === 'reconciliation_adjustments_two_people') {
        throw new DomainError('ADJUSTMENT_SAME_PERSON', 'An adjustment is approved by someone other than the person who proposed it');
      }
      if (isUniqueViolation(err, 'reconciliation_resolutions_reverses_key')) throw new DomainError('RESOLUTION_ALREADY_REVERSED', 'This resolution is already reversed');
      throw err;
    }
  }
}
