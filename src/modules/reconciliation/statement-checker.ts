import { DataSource, EntityManager } from 'typeorm';
import type { CalendarService } from '@modules/calendar/calendar.service';
import { exceptionOf } from './exception-builders';
import { addDays, signedMinor, toMinor, WorkdayDistance } from './matching';
import type { EngineDeps } from './reconciliation-engine.service';
import type { AccountInfo } from './reconciliation.repository';
import { endOfChinaDay } from './statement-reconciler';

/** Unmatched records this many days before the window are aged when a statement is missing. */
const AGING_LOOKBACK_DAYS = 31;

/**
 * The daily statement check (RECON-SPEC "Daily statement check"): for the working day before
 * `today`, every escrow account that expects statements and has none gets STATEMENT_MISSING (one per
 * account and day) and its day the status `missing`; the records it had in transit that are now
 * older than the window become MISSING_AT_BANK (no run will age them while statements are missing).
 * One small transaction per account, under the account's reconciliation lock, so a run of a
 * statement arriving meanwhile either comes first (no exception) or finds the exception and
 * resolves it.
 */
export class StatementChecker {
  constructor(
    private readonly deps: EngineDeps,
    private readonly ds: DataSource,
    private readonly calendar: CalendarService,
    private readonly windowDays: number,
    private readonly refresh: (m: EntityManager, escrowAccountId: string, businessDate: string) => Promise<void>,
  ) {}

  async check(today: string): Promise<{ missing: number; agedOut: number }> {
    const wd = await this.calendar.workingDays();
    let day = addDays(today, -1);
    while (!wd.isWorkday(day)) day = addDays(day, -1);
    const asOf = endOfChinaDay(day);
    const accounts = (await this.deps.repo.activeAccounts(this.ds.manager)).filter((a) => new Date(a.created_at).getTime() < asOf.getTime());
    const have = new Set(await this.deps.statements.accountsWithStatement(this.ds.manager, accounts.map((a) => a.id), day));
    const distance = new WorkdayDistance((d) => wd.isWorkday(d), day);
    const windowStart = distance.window(day, this.windowDays).from;
    let missing = 0;
    let agedOut = 0;
    for (const a of accounts.filter((x) => !have.has(x.id))) {
      const r = await this.ds.transaction((m) => this.checkAccount(m, a, day, windowStart, asOf));
      missing += r.missing;
      agedOut += r.agedOut;
    }
    return { missing, agedOut };
  }

  private async checkAccount(m: EntityManager, a: AccountInfo, day: string, windowStart: string, asOf: Date): Promise<{ missing: number; agedOut: number }> {
    const { repo, statements } = this.deps;
    await repo.lockAccount(m, a.id);
    if ((await statements.accountsWithStatement(m, [a.id], day)).length) return { missing: 0, agedOut: 0 };
    const facts = { runId: null, account: a, statementId: null, businessDate: day, currency: a.currency };
    const inserted = await repo.insertExceptions(m, [
      exceptionOf(facts, { type: 'STATEMENT_MISSING', key: `missing:${a.id}:${day}`, amount: 0n, effect: 0n, statementScoped: false, details: { expectedDate: day } }),
    ]);
    if (inserted.length === 0) return { missing: 0, agedOut: 0 }; // checked before (the schedule is hourly)

    // Records in the ledger by the day's end, older than the window, that no bank line took.
    const from = addDays(windowStart, -AGING_LOOKBACK_DAYS);
    const to = addDays(windowStart, -1);
    const expected = [...(await this.deps.credits.expectedLines(m, a.id, from, to)), ...(await this.deps.movements.expectedLines(m, a.id, from, to))].filter(
      (e) => e.postedAt.getTime() <= asOf.getTime(),
    );
    const matched = await repo.activelyMatched(m, expected.map((e) => ({ source: e.source, id: e.id })));
    const aged = expected
      .filter((e) => !matched.has(`${e.source}:${e.id}`))
      .map((e) =>
        exceptionOf(facts, {
          type: 'MISSING_AT_BANK',
          key: `missing-at-bank:${e.source}:${e.id}`,
          records: [e],
          amount: toMinor(e.amount),
          effect: -signedMinor(e.direction, toMinor(e.amount)),
          statementScoped: false,
          details: { valueDate: e.valueDate, postedAt: e.postedAt.toISOString() },
        }),
      );
    const agedRows = await repo.insertExceptions(m, aged);
    await this.refresh(m, a.id, day);
    await this.deps.events.raise(m, {
      institutionId: a.institution_id,
      districtCode: a.district_code,
      type: 'STATEMENT_MISSING',
      severity: 'warning',
      message: `No statement of escrow account ${a.bank_code}/${a.account_number} for ${day}`,
      details: { escrowAccountId: a.id, businessDate: day },
      dedupeKey: `recon-missing:${a.id}:${day}`,
    });
    return { missing: 1, agedOut: agedRows.length };
  }
}
