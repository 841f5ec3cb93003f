import { EntityManager } from 'typeorm';
import type { StatementRow } from '@modules/statements/statements.service';
import type { EngineDeps } from './reconciliation-engine.service';

/** Above any page number a bank writes (`page` is an int4): the day's last page is the latest one before it. */
const AFTER_ALL_PAGES = 2_147_483_647;

/** How a statement's run treats its account-day, when the day's statement comes in several pages. */
export interface DayPages {
  /** A later page of the same day is stored and not reconciled yet: that page's run reconciles the day. */
  deferred: boolean;
  /** The page whose closing balance ends the day (so far): the balance is checked against it. */
  closing: StatementRow;
  /** Earlier pages of the day whose runs were deferred: their lines are matched now, with this page's. */
  pending: StatementRow[];
}

/**
 * A statement split over pages (MT940 `:28C:5/1`, `:28C:5/2`; camt `MsgPgntn/PgNb`) is one account-day:
 * an intermediate page's closing balance (`:62M:`, `ITBD`) is not the day's, and matching a page alone
 * lets its amount pass take a record a later page names by reference. So the day is reconciled once,
 * on its last page: lines of all its pages matched together, then in transit, balance and status.
 *
 * Which page is the last: the statements store the page number but not the bank's "last page" mark
 * (`:62F:` against `:62M:`, `LastPgInd`), so the last page is the highest current page of the day
 * stored when the run happens. Pages of one file are stored in one import before any of their runs,
 * so a day delivered in one file is checked once, on its last page. A page delivered later (another
 * file, or a corrected page) reconciles its own lines and checks the day again against the closing
 * balance of the day's last page; that check supersedes the day's earlier balance check (its
 * BALANCE_BREAK is resolved as 'superseded'). Without a later page the run is the day's check, as for
 * a statement of one page.
 */
export async function dayPages(deps: EngineDeps, m: EntityManager, st: StatementRow): Promise<DayPages> {
  const top = await deps.statements.previous(m, st.escrow_account_id, st.statement_date, AFTER_ALL_PAGES);
  const later = top && top.statement_date === st.statement_date && top.page > st.page ? top : null;
  if (later && !(await deps.repo.findRun(m, later.id))) return { deferred: true, closing: later, pending: [] };
  const pending: StatementRow[] = [];
  for (const id of await deps.records.deferredRuns(m, st.escrow_account_id, st.statement_date)) {
    const page = await deps.statements.find(m, id);
    // A deferred page corrected since is replaced by its correction (whose own run matches its lines).
    if (page && page.id !== st.id && !page.superseded_by_id) pending.push(page);
  }
  pending.sort((a, b) => a.page - b.page);
  return { deferred: false, closing: later ?? st, pending };
}
