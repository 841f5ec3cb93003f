import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { ExpectedLine } from '@common/money/expected-line';
import type { StatementRow } from '@modules/statements/statements.service';
import { toBankLine } from './bank-lines';
import { uuid7 } from './uuid7';
import { dayPages } from './day-pages';
import { exceptionOf, ExceptionFacts, gapException } from './exception-builders';
import { EXCEPTION_TRANSITIONS } from './exception-state-machine';
import { addDays, BankLine, Candidate, fromMinor, LineOutcome, Matcher, residual, signedMinor, toMinor, WorkdayDistance } from './matching';
import type { EngineDeps } from './reconciliation-engine.service';
import { AccountInfo, ExceptionRow, NewException, NewMatch, NewRun, RunRow, SystemResolution } from './reconciliation.repository';

/** Entries are read in pages of this many: a huge statement is never in memory whole. */
const PAGE = 5_000;
/** Matches are written once this many have piled up. */
const FLUSH = 5_000;
/** Without a previous statement (the account's first), unmatched records this many days before the window still age into MISSING_AT_BANK. */
const FIRST_LOOKBACK_DAYS = 31;
/** ...and never more than this many days back (a statement after a long gap). */
const MAX_LOOKBACK_DAYS = 93;

/** End of a China business day: statements and the ledger are compared as of this instant. */
export const endOfChinaDay = (day: string): Date => new Date(`${addDays(day, 1)}T00:00:00+08:00`);

/**
 * One statement reconciled (RECON-SPEC steps 1-8), inside the run's transaction and under the
 * account's lock. Everything is read up front in a few queries, matched in memory, and written in
 * bulk: matches, exceptions (one per dedupe key), the system's resolutions, the run, the account-day.
 */
export class StatementReconciler {
  private readonly runId = randomUUID();
  private readonly facts: ExceptionFacts;
  private readonly exceptions: NewException[] = [];
  private readonly matches: NewMatch[] = [];
  /** Exceptions the system resolves (by a match, or because their statement was superseded). */
  private readonly resolutions: SystemResolution[] = [];

  constructor(
    private readonly deps: EngineDeps,
    private readonly m: EntityManager,
    private readonly st: StatementRow,
    /** The account's statement before this one (latest current one before its day and page). */
    private readonly prev: StatementRow | null,
    private readonly account: AccountInfo,
    private readonly wd: WorkdayDistance,
    private readonly windowDays: number,
  ) {
    this.facts = { runId: this.runId, account, statementId: st.id, businessDate: st.statement_date, currency: st.currency };
  }

  /** The run, the other business days whose exceptions it changed, the open exceptions of its own day and the accepted ones it stands on (when it counted them). */
  async run(): Promise<{ run: RunRow; touchedDays: string[]; openOfDay?: number; acceptedOfDay?: number; deferred?: boolean }> {
    const st = this.st;
    const D = st.statement_date;
    if (st.superseded_by_id) return { run: await this.insertRun('superseded', null), touchedDays: [] };
    const open = await this.deps.repo.openExceptions(this.m, st.escrow_account_id, ['MISSING_IN_LEDGER', 'MISSING_AT_BANK', 'STATEMENT_MISSING']);
    this.statementArrived(open.filter((x) => x.type === 'STATEMENT_MISSING'));
    if (st.supersedes_id) await this.supersede(st.supersedes_id);
    if (!st.consistent) {
      this.exceptions.push(exceptionOf(this.facts, { type: 'STATEMENT_INCONSISTENT', key: `inconsistent:${st.id}`, amount: abs(toMinor(st.computed_closing) - toMinor(st.closing_balance)), effect: 0n, details: { opening: st.opening_balance, computedClosing: st.computed_closing, closing: st.closing_balance } }));
      const touched = await this.write();
      return { run: await this.insertRun('inconsistent', null), touchedDays: touched };
    }
    await this.gap();
    // A page before the day's last: the last page's run reconciles the day (day-pages.ts).
    const day = await dayPages(this.deps, this.m, st);
    if (day.deferred) {
      const touched = await this.write();
      return { run: await this.insertRun('deferred', null), touchedDays: touched, deferred: true };
    }
    // One balance check per account-day: this one replaces an earlier page's (its break no longer stands).
    for (const x of await this.deps.repo.openExceptions(this.m, st.escrow_account_id, ['BALANCE_BREAK'], D)) {
      if (x.business_date === D && x.statement_id !== st.id) this.resolutions.push({ exceptionId: x.id, action: 'superseded', reason: `the balance of ${D} is checked again with statement ${st.id} (page ${st.page})`, matchGroupId: null });
    }

    // Records are read since the previous day's statement (an earlier page of this day aged nothing).
    this.prevDay = this.prev && this.prev.statement_date < D ? this.prev : await this.deps.statements.previous(this.m, st.escrow_account_id, D, 0);
    const { from: windowStart, to: windowEnd } = this.wd.window(D, this.windowDays);
    const retries = await this.retryLines(open.filter((x) => x.type === 'MISSING_IN_LEDGER' && x.business_date >= windowStart));
    const openMab = open.filter((x) => x.type === 'MISSING_AT_BANK');
    this.mabOf = new Map(openMab.map((x) => [`${x.source}:${x.record_id}`, x]));
    const lower = this.lowerBound(windowStart, [...openMab.map((x) => String(x.details.valueDate ?? D)), ...retries.map((l) => this.wd.window(l.date, this.windowDays).from)]);
    // A pair a person unmatched (a resolution reversed) is not matched again by the system.
    const refused = await this.deps.records.refusedPairs(this.m, st.escrow_account_id);
    const matcher = new Matcher(await this.candidates(lower, windowEnd), (a, b) => this.wd.distance(a, b), this.windowDays, refused);

    // Pass 1 (references) line by line as the pages come, earlier unmatched lines first; pass 2 (amounts)
    // for the lines that waited. Matches and exceptions are written in bulk as they pile up.
    const waiting: BankLine[] = [];
    const pass1 = async (line: BankLine) => {
      const o = matcher.byReference(line);
      if (o) this.take(o);
      else waiting.push(line);
      if (this.matches.length >= FLUSH) await this.flush();
    };
    for (const line of retries) await pass1(line);
    // The lines of the day's earlier pages whose runs were deferred, then this page's: reference first for all of them.
    for (const sheet of [...day.pending, st]) {
      const handled = sheet.id === st.id ? null : await this.deps.records.handledLines(this.m, sheet.id);
      for (let after = 0; ; ) {
        const page = await this.deps.statements.entries(this.m, sheet.id, after, PAGE);
        // PDNG and INFO entries do not move money.
        for (const e of page) if (e.status === 'BOOK' && !handled?.has(e.line)) await pass1(toBankLine(e, sheet.id, D));
        if (page.length < PAGE) break;
        after = page[page.length - 1].line;
      }
    }
    for (const line of waiting) this.take(matcher.byAmount(line));
    const unmatched = matcher.unmatched();
    const mabOf = this.mabOf;

    // Step 6: what the ledger has and the bank has not booked: in transit inside the window, missing after it.
    const asOf = endOfChinaDay(D);
    let inTransit = 0n;
    let inTransitItems = 0;
    for (const c of unmatched) {
      if (mabOf.has(`${c.expected.source}:${c.expected.id}`) || c.expected.postedAt.getTime() > asOf.getTime()) continue;
      const signed = signedMinor(c.expected.direction, c.amount);
      if (c.expected.valueDate < windowStart) {
        this.exceptions.push(exceptionOf(this.facts, { type: 'MISSING_AT_BANK', key: `missing-at-bank:${c.expected.source}:${c.expected.id}`, records: [c.expected], amount: c.amount, effect: -signed, statementScoped: false, details: { valueDate: c.expected.valueDate, postedAt: c.expected.postedAt.toISOString() } }));
      } else {
        inTransit += signed;
        inTransitItems += 1;
      }
    }
    const touched = await this.write();

    // Step 7: the closing balance against the ledger's bank cash at the end of the day.
    const a = this.account;
    const ledger = toMinor((await this.deps.ledger.balanceOf('bank_cash', { escrowAccountId: a.id, institutionId: a.institution_id, currency: a.currency }, this.m, asOf)).toString());
    const figures = await this.deps.repo.openFigures(this.m, a.id, D);
    const openEffects = toMinor(figures.effects);
    const terms = await this.deps.repo.matchTerms(this.m, a.id, D, asOf);
    // The day's closing balance: of its last page (this one, unless a later page already checked the day).
    const closing = toMinor(day.closing.closing_balance);
    const r = residual({ closing, ledger, openEffects, inTransit, lateRecords: toMinor(terms.late), earlyRecords: toMinor(terms.early) });
    if (r !== 0n) {
      const details = { closing: day.closing.closing_balance, ledger: fromMinor(ledger), openEffects: fromMinor(openEffects), inTransit: fromMinor(inTransit), lateRecords: terms.late, earlyRecords: terms.early };
      const rows = await this.deps.repo.insertExceptions(this.m, [exceptionOf(this.facts, { type: 'BALANCE_BREAK', key: `balance:${st.id}`, amount: abs(r), effect: r, details })]);
      this.newExceptions += rows.length;
      figures.openOfDay += rows.length;
    }
    // Accepted timing differences explain the balance like records in transit: the day is not broken, but not clear either.
    const status = figures.openOfDay > 0 ? 'broken' : inTransitItems > 0 || figures.accepted > 0 ? 'reconciled_in_transit' : 'reconciled';
    const run = await this.insertRun(status, { closing: day.closing.closing_balance, ledger, inTransit, inTransitItems, difference: closing - ledger, residual: r, matchedLines: this.matchedLines });
    return { run, touchedDays: touched, openOfDay: figures.openOfDay, acceptedOfDay: figures.accepted };
  }

  private prevDay: StatementRow | null = null;
  private newExceptions = 0;
  private matchedLines = 0;
  private readonly touched = new Set<string>();
  /** Records with an open MISSING_AT_BANK exception (resolved when a line takes them). */
  private mabOf = new Map<string, ExceptionRow>();

  /** What a line's outcome writes: its match (and its difference), or its exception. */
  private take(o: LineOutcome): void {
    if (o.kind === 'match') {
      this.matchedLines += 1;
      const groupId = uuid7();
      this.addMatch(groupId, o.line, o.records.map((c) => c.expected), o.method, o.difference);
      if (o.difference !== 0n) this.exceptions.push(exceptionOf(this.facts, { type: 'AMOUNT_MISMATCH', key: `amount:${o.line.statementId}:${o.line.line}`, line: o.line, records: o.records.map((c) => c.expected), amount: abs(o.difference), effect: o.difference, details: { method: o.method } }));
      if (o.line.retryOf) this.resolutions.push({ exceptionId: o.line.retryOf, action: 'auto_match', reason: `matched by the reconciliation of statement ${this.st.id}`, matchGroupId: groupId });
      for (const c of o.records) {
        const mab = this.mabOf.get(`${c.expected.source}:${c.expected.id}`);
        if (mab) this.resolutions.push({ exceptionId: mab.id, action: 'auto_match', reason: `booked by the bank on statement ${o.line.statementId} line ${o.line.line}`, matchGroupId: groupId });
      }
    } else if (o.line.retryOf) {
      return; // still unmatched: its exception stays open as it is
    } else if (o.kind === 'duplicate') {
      this.exceptions.push(exceptionOf(this.facts, { type: 'DUPLICATE_AT_BANK', key: `duplicate:${o.line.statementId}:${o.line.line}`, line: o.line, records: [o.record.expected], amount: o.line.amount, effect: signedMinor(o.line.direction, o.line.amount), details: { alreadyMatched: true } }));
    } else {
      const details = { reason: o.reason, candidates: o.candidates, reversal: o.line.reversal, reverses: o.reverses ? { source: o.reverses.expected.source, recordId: o.reverses.expected.id } : null };
      this.exceptions.push(exceptionOf(this.facts, { type: 'MISSING_IN_LEDGER', key: `missing-in-ledger:${o.line.statementId}:${o.line.line}`, line: o.line, amount: o.line.amount, effect: signedMinor(o.line.direction, o.line.amount), details }));
    }
  }

  /** Writes the matches and exceptions found so far (one statement each per batch). */
  private async flush(): Promise<void> {
    const { repo } = this.deps;
    await repo.insertMatches(this.m, this.matches.splice(0));
    const inserted = await repo.insertExceptions(this.m, this.exceptions.splice(0));
    this.newExceptions += inserted.length;
    for (const x of inserted) this.touched.add(x.business_date);
  }

  /** A STATEMENT_MISSING raised for this account-day before the statement came is resolved by it. */
  private statementArrived(missing: ExceptionRow[]): void {
    for (const x of missing) {
      if (x.dedupe_key === `missing:${this.st.escrow_account_id}:${this.st.statement_date}`) this.resolutions.push({ exceptionId: x.id, action: 'auto_match', reason: `statement ${this.st.id} received`, matchGroupId: null });
    }
  }

  /** Step 2: the corrected statement replaces the earlier one: its matches reversed, its open exceptions resolved. */
  private async supersede(oldId: string): Promise<void> {
    await this.deps.repo.reverseStatementMatches(this.m, oldId, `superseded by statement ${this.st.id}`);
    for (const id of await this.deps.repo.openOfStatement(this.m, oldId)) {
      this.resolutions.push({ exceptionId: id, action: 'superseded', reason: `statement ${oldId} superseded by ${this.st.id}`, matchGroupId: null });
    }
  }

  /** Step 3: the opening must be the previous closing, and a numeric sequence must follow the previous one. */
  private async gap(): Promise<void> {
    const x = this.prev ? gapException(this.facts, this.st, this.prev) : null;
    if (x) this.exceptions.push(x);
  }

  /** Lines of earlier statements still missing in the ledger, within the window: tried again against new records. */
  private async retryLines(missingInLedger: ExceptionRow[]): Promise<BankLine[]> {
    const open = missingInLedger.filter((x) => x.statement_id && x.line !== null && x.statement_id !== this.st.id);
    if (open.length === 0) return [];
    const byKey = new Map(open.map((x) => [`${x.statement_id}:${x.line}`, x]));
    const entries = await this.deps.statements.entriesAt(this.m, open.map((x) => ({ statementId: x.statement_id!, line: x.line! })));
    return entries.map((e) => {
      const x = byKey.get(`${e.statement_id}:${e.line}`)!;
      return toBankLine(e, e.statement_id, x.business_date, x.id);
    });
  }

  /** How far back records are read: since the previous statement's window (they may have aged since), bounded. */
  private lowerBound(windowStart: string, extra: string[]): string {
    const D = this.st.statement_date;
    // The previous statement's run aged what was older than its window; what it had in transit may have aged since.
    let lower = this.prevDay ? this.wd.window(this.prevDay.statement_date, this.windowDays).from : addDays(windowStart, -FIRST_LOOKBACK_DAYS);
    if (windowStart < lower) lower = windowStart;
    for (const d of extra) if (d < lower) lower = d;
    const floor = addDays(D, -MAX_LOOKBACK_DAYS);
    return lower < floor ? floor : lower;
  }

  private async candidates(fromDay: string, toDay: string): Promise<Candidate[]> {
    const id = this.st.escrow_account_id;
    // Also what the ledger posted after the previous statement's day, whatever its value date: a record
    // notified late with an old value date is missing at the bank, not an unexplained break.
    const since = this.prevDay ? endOfChinaDay(this.prevDay.statement_date) : null;
    const expected: ExpectedLine[] = [...(await this.deps.credits.expectedLines(this.m, id, fromDay, toDay, since)), ...(await this.deps.movements.expectedLines(this.m, id, fromDay, toDay, since))];
    const matched = await this.deps.repo.activelyMatched(this.m, expected.map((e) => ({ source: e.source, id: e.id })));
    return expected.map((e) => ({ expected: e, amount: toMinor(e.amount), matched: matched.has(`${e.source}:${e.id}`) }));
  }

  private addMatch(groupId: string, line: BankLine, records: ExpectedLine[], method: NewMatch['method'], difference: bigint): void {
    records.forEach((r, i) => {
      this.matches.push({
        group_id: groupId,
        part: i + 1,
        parts: records.length,
        run_id: this.runId,
        resolution_id: null,
        escrow_account_id: this.st.escrow_account_id,
        statement_id: line.statementId,
        line: line.line,
        bank_date: line.statementDate,
        bank_amount: fromMinor(signedMinor(line.direction, line.amount)),
        source: r.source,
        record_id: r.id,
        record_amount: fromMinor(signedMinor(r.direction, toMinor(r.amount))),
        record_posted_at: r.postedAt,
        difference: fromMinor(i === 0 ? difference : 0n),
        method,
      });
    });
  }

  /** Writes what is left, and the system's resolutions; returns the other business days whose exceptions changed. */
  private async write(): Promise<string[]> {
    const { repo } = this.deps;
    await this.flush();
    // Open and accepted ones alike (an accepted timing difference clears when its line or record is matched).
    const resolved = new Set(await repo.setState(this.m, [...new Set(this.resolutions.map((r) => r.exceptionId))], EXCEPTION_TRANSITIONS.resolved.from, 'resolved'));
    const seen = new Set<string>();
    const rows = this.resolutions.filter((r) => resolved.has(r.exceptionId) && !seen.has(r.exceptionId) && seen.add(r.exceptionId));
    await repo.insertSystemResolutions(this.m, rows);
    if (rows.length) for (const d of await repo.businessDates(this.m, rows.map((r) => r.exceptionId))) this.touched.add(d);
    this.touched.delete(this.st.statement_date);
    return [...this.touched];
  }

  private insertRun(status: NewRun['status'], f: { closing: string; ledger: bigint; inTransit: bigint; inTransitItems: number; difference: bigint; residual: bigint; matchedLines: number } | null): Promise<RunRow> {
    return this.deps.repo.insertRun(this.m, {
      id: this.runId,
      statement_id: this.st.id,
      escrow_account_id: this.st.escrow_account_id,
      business_date: this.st.statement_date,
      status,
      bank_closing: f?.closing ?? this.st.closing_balance,
      ledger_balance: f ? fromMinor(f.ledger) : null,
      in_transit: f ? fromMinor(f.inTransit) : null,
      in_transit_items: f?.inTransitItems ?? 0,
      difference: f ? fromMinor(f.difference) : null,
      residual: f ? fromMinor(f.residual) : null,
      matched_lines: f?.matchedLines ?? 0,
      exceptions: this.newExceptions,
    });
  }
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);
