import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { chinaDate, Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import type { ExpectedLine } from '@common/money/expected-line';
import { AppConfig } from '@config/app-config';
import { isUniqueViolation } from '@infra/database/pg-errors';
import { BankCreditsService } from '@modules/bank-credits/bank-credits.service';
import { CalendarService } from '@modules/calendar/calendar.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { MoneyMovementsService } from '@modules/money-movements/money-movements.service';
import { EntryRow, StatementRow, StatementsService } from '@modules/statements/statements.service';
import { SupervisionEventsService } from '@modules/supervision/supervision-events.service';
import { ExceptionState, EXCEPTION_TRANSITIONS, transition } from './exception-state-machine';
import { fromMinor, signedMinor, toMinor, WorkdayDistance } from './matching';
import { ReversalActor, settleReversedMatch } from './match-reversals';
import { ReconciliationRecordsRepository } from './reconciliation-records.repository';
import { AccountInfo, ExceptionRow, ReconciliationRepository, RunRow } from './reconciliation.repository';
import { StatementChecker } from './statement-checker';
import { StatementReconciler } from './statement-reconciler';
import { uuid7 } from './uuid7';

export type { ExpectedLine, ExpectedLineSource } from '@common/money/expected-line';
export type { AccountDayRow, AccountInfo, ExceptionRow, ExceptionType, MatchRow, RunRow } from './reconciliation.repository';

/** A bank line as reconciliation and matching by hand read it: the stored entry and its statement's facts. */
export interface StatementLine extends EntryRow {
  statement_id: string;
  escrow_account_id: string;
  currency: string;
  statement_date: string;
  /** A corrected statement replaced this one: its lines are no longer matched. */
  superseded: boolean;
}

export interface MatchInput {
  escrowAccountId: string;
  statementId: string;
  line: number;
  parts: { source: ExpectedLine['source']; recordId: string }[];
  method: 'manual' | 'auto';
  resolutionId: string | null;
}

/** What the per-statement and daily steps use (one bag, so they stay plain classes). */
export interface EngineDeps {
  repo: ReconciliationRepository;
  records: ReconciliationRecordsRepository;
  statements: StatementsService;
  credits: BankCreditsService;
  movements: MoneyMovementsService;
  ledger: LedgerService;
  events: SupervisionEventsService;
}

/** At most this many earlier statements are reconciled ahead of the one asked for (the rest by their own jobs). */
const MAX_CHAIN = 60;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reconciliation of bank statements against the ledger (issue 13, RECON-SPEC). A statement's run is
 * one transaction under the escrow account's advisory lock: a second run finds the first one's row
 * (UNIQUE statement_id) and returns it; a worker killed mid-run leaves nothing (rollback) and the
 * queue runs the job again. Matching by hand, reversals and exception state changes are offered to
 * the resolutions in the caller's transaction.
 */
@Injectable()
export class ReconciliationEngineService {
  private readonly logger = new Logger(ReconciliationEngineService.name);
  private readonly deps: EngineDeps;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ReconciliationRepository,
    private readonly records: ReconciliationRecordsRepository,
    statements: StatementsService,
    credits: BankCreditsService,
    movements: MoneyMovementsService,
    ledger: LedgerService,
    private readonly calendar: CalendarService,
    private readonly events: SupervisionEventsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.deps = { repo, records, statements, credits, movements, ledger, events };
  }

  async reconcileStatement(statementId: string): Promise<RunRow> {
    return this.ds.transaction(async (m) => {
      const st = await this.deps.statements.find(m, statementId);
      if (!st) throw new DomainError('STATEMENT_NOT_FOUND', `Statement ${statementId} not found`);
      await this.repo.lockAccount(m, st.escrow_account_id);
      const done = await this.repo.findRun(m, statementId);
      if (done) return done;
      // Test hook (0 in production): holds the run's transaction open so a test can kill the worker inside it.
      if (this.config.RECONCILIATION_TEST_DELAY_MS > 0) await sleep(this.config.RECONCILIATION_TEST_DELAY_MS);
      const account = await this.repo.accountInfo(m, st.escrow_account_id);
      if (!account) throw new DomainError('ESCROW_ACCOUNT_NOT_FOUND', `Escrow account ${st.escrow_account_id} not found`);
      const wd = await this.calendar.workingDays(m);
      // An account's statements are reconciled in their order: earlier ones whose jobs have not run yet
      // (a file of many days, jobs taken in any order) are reconciled first, here, under the same lock.
      const chain: { st: StatementRow; prev: StatementRow | null }[] = [];
      let cur = st;
      let prev = await this.deps.statements.previous(m, cur.escrow_account_id, cur.statement_date, cur.page);
      chain.unshift({ st: cur, prev });
      while (prev && chain.length < MAX_CHAIN && !(await this.repo.findRun(m, prev.id))) {
        cur = prev;
        prev = await this.deps.statements.previous(m, cur.escrow_account_id, cur.statement_date, cur.page);
        chain.unshift({ st: cur, prev });
      }
      let run: RunRow | null = null;
      for (const c of chain) {
        const distance = new WorkdayDistance((d) => wd.isWorkday(d), c.st.statement_date);
        const out = await new StatementReconciler(this.deps, m, c.st, c.prev, account, distance, this.config.RECONCILIATION_WINDOW_DAYS).run();
        run = out.run;
        // The run is its day's latest; when it counted the day's open exceptions, the projection needs no reads.
        if (out.openOfDay !== undefined) await this.writeAccountDay(m, account, run.business_date, run, { open: out.openOfDay, accepted: out.acceptedOfDay ?? 0 });
        // A superseded statement's day stands with its correction; a deferred page's, with the day's last page.
        else if (run.status !== 'superseded' && !out.deferred) await this.refreshAccountDay(m, account.id, run.business_date);
        for (const day of out.touchedDays) await this.refreshAccountDay(m, account.id, day);
        this.logger.log(`Statement ${c.st.id} (${run.business_date}): ${run.status}, ${run.matched_lines} lines matched, ${run.exceptions} new exceptions`);
      }
      return run!;
    });
  }

  /** The scheduled check: a statement expected per active escrow account for the previous working day. */
  async statementCheck(today?: string): Promise<{ missing: number; agedOut: number }> {
    const now = this.clock.now();
    const day = today ?? chinaDate(now);
    const chinaNow = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now);
    if (day > chinaDate(now) || (day === chinaDate(now) && chinaNow < this.config.RECONCILIATION_STATEMENT_CUTOFF)) return { missing: 0, agedOut: 0 };
    const checker = new StatementChecker(this.deps, this.ds, this.calendar, this.config.RECONCILIATION_WINDOW_DAYS, (m, a, d) => this.refreshAccountDay(m, a, d));
    return checker.check(day);
  }

  /**
   * The account-day projection, recomputed: `broken` while an exception of the day is open, else
   * `reconciled_in_transit` when its run left records in transit or it stands on accepted timing
   * differences, else `reconciled`; `missing` without a run. A broken day raises one supervision event.
   * `open_exceptions` counts open ones only.
   */
  async refreshAccountDay(m: EntityManager, escrowAccountId: string, businessDate: string): Promise<void> {
    const account = await this.repo.accountInfo(m, escrowAccountId);
    if (!account) return;
    const run = await this.repo.dayRun(m, escrowAccountId, businessDate);
    await this.writeAccountDay(m, account, businessDate, run, await this.repo.countOpen(m, escrowAccountId, businessDate));
  }

  private async writeAccountDay(m: EntityManager, account: AccountInfo, businessDate: string, run: RunRow | null, counts: { open: number; accepted: number }): Promise<void> {
    const escrowAccountId = account.id;
    const open = counts.open;
    const status = !run ? 'missing' : open > 0 ? 'broken' : run.in_transit_items > 0 || counts.accepted > 0 ? 'reconciled_in_transit' : 'reconciled';
    await this.repo.upsertAccountDay(m, {
      escrow_account_id: escrowAccountId,
      business_date: businessDate,
      institution_id: account.institution_id,
      district_code: account.district_code,
      currency: account.currency,
      status,
      statement_id: run?.statement_id ?? null,
      run_id: run?.id ?? null,
      bank_closing: run?.bank_closing ?? null,
      ledger_balance: run?.ledger_balance ?? null,
      in_transit: run?.in_transit ?? null,
      difference: run?.difference ?? null,
      open_exceptions: open,
    });
    if (status === 'broken') {
      await this.events.raise(m, {
        institutionId: account.institution_id,
        districtCode: account.district_code,
        type: 'RECONCILIATION_BREAK',
        severity: 'warning',
        message: `Escrow account ${account.bank_code}/${account.account_number} does not reconcile on ${businessDate}: ${open} open exception(s)`,
        details: { escrowAccountId, businessDate, statementId: run?.statement_id ?? null, openExceptions: open, difference: run?.difference ?? null },
        dedupeKey: `recon-break:${escrowAccountId}:${businessDate}`,
      });
    }
  }

  /** Runs and resolutions of one account serialise on this lock (the caller's transaction holds it). */
  lockAccount(m: EntityManager, escrowAccountId: string): Promise<void> {
    return this.repo.lockAccount(m, escrowAccountId);
  }

  /** A match by hand (or by the system): one group, a part per record. A line or record already matched → 409 ALREADY_MATCHED. */
  async recordMatch(m: EntityManager, input: MatchInput): Promise<string> {
    if (input.parts.length === 0) throw new DomainError('VALIDATION_FAILED', 'A match needs at least one platform record');
    const line = await this.statementLine(m, input.statementId, input.line);
    if (!line || line.escrow_account_id !== input.escrowAccountId) throw new DomainError('NOT_FOUND', `Line ${input.line} of statement ${input.statementId} not found on this escrow account`);
    if (line.superseded) throw new DomainError('CONFLICT', `Statement ${input.statementId} was superseded by a corrected statement: match a line of the current one`);
    const records: ExpectedLine[] = [];
    for (const p of input.parts) {
      const r = await this.expectedLine(m, p.source, p.recordId);
      if (!r || r.escrowAccountId !== input.escrowAccountId) throw new DomainError('NOT_FOUND', `No ${p.source} ${p.recordId} on this escrow account to match`);
      if (r.currency !== line.currency) throw new DomainError('CURRENCY_MISMATCH', `The ${p.source} is in ${r.currency}, the statement in ${line.currency}`);
      records.push(r);
    }
    const conflicts = await this.repo.activeConflicts(m, input.statementId, input.line, records.map((r) => ({ source: r.source, id: r.id })));
    if (conflicts.length) throw alreadyMatched(conflicts.map((c) => ({ groupId: c.group_id, statementId: c.statement_id, line: c.line, source: c.source, recordId: c.record_id })));
    const bank = signedMinor(line.direction, toMinor(line.amount));
    const recordAmounts = records.map((r) => signedMinor(r.direction, toMinor(r.amount)));
    const difference = bank - recordAmounts.reduce((s, v) => s + v, 0n);
    const groupId = uuid7();
    try {
      await this.repo.insertMatches(
        m,
        records.map((r, i) => ({
          group_id: groupId,
          part: i + 1,
          parts: records.length,
          run_id: null,
          resolution_id: input.resolutionId,
          escrow_account_id: input.escrowAccountId,
          statement_id: input.statementId,
          line: input.line,
          bank_date: line.statement_date,
          bank_amount: fromMinor(bank),
          source: r.source,
          record_id: r.id,
          record_amount: fromMinor(recordAmounts[i]),
          record_posted_at: r.postedAt,
          difference: fromMinor(i === 0 ? difference : 0n),
          method: input.method,
        })),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyMatched([]);
      throw err;
    }
    return groupId;
  }

  /** Unmatching writes a reversal (reversed_at, reason) on every active part; the rows stay. */
  async reverseMatchGroup(m: EntityManager, groupId: string, reason: string): Promise<void> {
    await this.repo.reverseGroup(m, groupId, reason);
  }

  /**
   * Once a reversed match's resolutions are undone: each side's exception open again, or raised
   * (match-reversals.ts). Returns the account-days to refresh.
   */
  settleReversedMatch(m: EntityManager, groupId: string, by: ReversalActor): Promise<{ escrow_account_id: string; business_date: string }[]> {
    const windowStart = async (mm: EntityManager, day: string) => {
      const wd = await this.calendar.workingDays(mm);
      return new WorkdayDistance((d) => wd.isWorkday(d), day).window(day, this.config.RECONCILIATION_WINDOW_DAYS).from;
    };
    const ctx = { repo: this.repo, records: this.records, statementLine: this.statementLine.bind(this), expectedLine: this.expectedLine.bind(this), windowStart };
    return settleReversedMatch(ctx, m, groupId, by);
  }

  /** The statement line a platform record expects (credit, executed movement, approved adjustment); null when unknown. */
  async expectedLine(m: EntityManager, source: ExpectedLine['source'], id: string): Promise<ExpectedLine | null> {
    if (source === 'credit') return this.deps.credits.expectedLine(m, id);
    if (source === 'movement') return this.deps.movements.expectedLine(m, id);
    if (source === 'adjustment') return this.records.adjustmentLine(m, id);
    return null;
  }

  async statementLine(m: EntityManager, statementId: string, line: number): Promise<StatementLine | null> {
    const st = await this.deps.statements.find(m, statementId);
    if (!st || !Number.isSafeInteger(line) || line < 1) return null;
    const [entry] = await this.deps.statements.entriesAt(m, [{ statementId, line }]);
    if (!entry) return null;
    return { ...entry, escrow_account_id: st.escrow_account_id, currency: st.currency, statement_date: st.statement_date, superseded: st.superseded_by_id !== null };
  }

  exception(m: EntityManager, id: string, lock = false): Promise<ExceptionRow | null> {
    return this.repo.findException(m, id, lock);
  }

  /** open → accepted/resolved, accepted → resolved/open, resolved → open, through the state machine (409 otherwise). */
  async transitionException(m: EntityManager, id: string, to: ExceptionState): Promise<void> {
    const x = await this.repo.findException(m, id, true);
    if (!x) throw new DomainError('RECONCILIATION_EXCEPTION_NOT_FOUND', `Reconciliation exception ${id} not found`);
    transition(x.state, to);
    await this.repo.setState(m, [id], EXCEPTION_TRANSITIONS[to].from, to);
  }
}

const alreadyMatched = (conflicts: unknown[]) => new DomainError('ALREADY_MATCHED', 'The bank line or a platform record is already matched; reverse that match first', { conflicts });
