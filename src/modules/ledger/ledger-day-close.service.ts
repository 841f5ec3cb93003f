import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { chinaDate } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { CheckpointBase, LedgerDayCloseRepository } from './ledger-day-close.repository';

/** The China midnight that ends `day` (YYYY-MM-DD). */
export function endOfChinaDay(day: string): Date {
  return new Date(`${addDaysTo(day, 1)}T00:00:00+08:00`);
}

export interface DayCloseResult {
  closed: string[];
  /** The first day left open because a transaction that began before its end is still running. */
  waitingFor: string | null;
}

/** A run closes at most this many days (a long catch-up continues on the next run). */
const MAX_DAYS_PER_RUN = 400;

const HOUR_MS = 3_600_000;
/**
 * Hourly checkpoints are kept this long (the daily close for ever): an audit of a moment in the
 * last week reads the checkpoint of its hour; older moments read the nearer daily close. A city
 * (20,000 institutions) writes 60,000 rows an hour, so a week is ~10 M rows (~1.5 GB).
 */
export const CHECKPOINT_KEPT_HOURS = 7 * 24;

export interface CheckpointResult {
  taken: Date[];
  /** The first hour end not taken because a transaction that began before it is still running. */
  waitingFor: Date | null;
  pruned: number;
}


/**
 * Closes every China day before `today` that is not closed yet, oldest first, each in its own
 * transaction under one advisory lock, so each day is closed exactly once and missed days are
 * caught up. A day whose end is not yet safely past (a transaction that began before it is
 * still open) waits for the next run.
 */
@Injectable()
export class LedgerDayCloseService {
  private readonly logger = new Logger(LedgerDayCloseService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LedgerDayCloseRepository,
  ) {}

  async closeDays(today: string): Promise<DayCloseResult> {
    const closed: string[] = [];
    for (let i = 0; i < MAX_DAYS_PER_RUN; i++) {
      const step = await this.ds.transaction(async (m) => {
        await this.repo.lockCloser(m);
        const last = await this.repo.lastClosed(m);
        let day: string;
        if (last) day = addDaysTo(last.day, 1);
        else {
          const first = await this.repo.firstPostingAt(m);
          if (!first) return { done: true as const };
          day = chinaDate(first);
        }
        if (day >= today) return { done: true as const };
        const closesAt = endOfChinaDay(day);
        // Never a day that has not ended (a travelled test clock may say otherwise).
        if (closesAt.getTime() > Date.now()) return { done: true as const };
        if ((await this.repo.openTransactionsStartedBefore(m, closesAt)) > 0) return { done: true as const, waitingFor: day };
        const r = await this.repo.close(m, day, closesAt, last);
        this.logger.log(`Ledger day ${day} closed: ${r.postings} postings, ${r.storedRows} balance rows`);
        return { done: false as const, day };
      });
      if (step.done) return { closed, waitingFor: 'waitingFor' in step ? (step.waitingFor ?? null) : null };
      closed.push(step.day);
    }
    return { closed, waitingFor: null };
  }
  /**
   * Takes the hourly checkpoints due up to `now`, oldest first, each in its own transaction under
   * one advisory lock (exactly once per hour), from the later of the previous checkpoint and the
   * daily close; then deletes those older than the kept window. As for the daily close, an hour's
   * end is taken only once no transaction that began before it is still open: a posting is dated
   * no earlier than its transaction's start, so none dated before the end can commit afterwards
   * and the checkpoint never misses a late commit (nor counts it twice: the next checkpoint sums
   * from this end onwards). `every` and `keep` (checkpoints kept) let a test use seconds.
   */
  async takeCheckpoints(now: Date, every = HOUR_MS, keep = CHECKPOINT_KEPT_HOURS): Promise<CheckpointResult> {
    const floor = (ms: number) => Math.floor(ms / every) * every;
    const taken: Date[] = [];
    const oldestKept = floor(now.getTime()) - (keep - 1) * every;
    let waitingFor: Date | null = null;
    for (let i = 0; i < keep + 24; i++) {
      const step = await this.ds.transaction(async (m) => {
        await this.repo.lockCheckpointer(m);
        const last = await this.repo.lastCheckpointAt(m);
        let next = last ? last.getTime() + every : null;
        if (next === null || next < oldestKept) {
          const first = await this.repo.firstPostingAt(m);
          if (!first) return { done: true as const };
          next = Math.max(oldestKept, floor(first.getTime()) + every);
        }
        const closesAt = new Date(next);
        // Never an hour that has not ended (a travelled test clock may say otherwise).
        if (next > now.getTime() || next > Date.now()) return { done: true as const };
        if ((await this.repo.openTransactionsStartedBefore(m, closesAt)) > 0) return { done: true as const, waitingFor: closesAt };
        const day = await this.repo.lastClosedBy(m, closesAt);
        // The later of the two bases (a close after a gap in the checkpoints saves summing the gap).
        const base: CheckpointBase =
          last && last.getTime() < next && (!day || day.closes_at.getTime() <= last.getTime())
            ? { kind: 'checkpoint', closes_at: last }
            : day
              ? { kind: 'day', day: day.day, closes_at: day.closes_at }
              : null;
        const r = await this.repo.checkpoint(m, closesAt, base);
        this.logger.debug(`Ledger checkpoint ${closesAt.toISOString()}: ${r.postings} postings, ${r.storedRows} balance rows`);
        return { done: false as const, closesAt };
      });
      if (step.done) {
        waitingFor = 'waitingFor' in step ? (step.waitingFor ?? null) : null;
        break;
      }
      taken.push(step.closesAt);
    }
    const pruned = await this.ds.transaction(async (m) => {
      await this.repo.lockCheckpointer(m);
      return this.repo.pruneCheckpoints(m, new Date(oldestKept));
    });
    return { taken, waitingFor, pruned };
  }
}
