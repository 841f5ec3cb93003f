import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { chinaDate } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { LedgerDayCloseRepository } from './ledger-day-close.repository';

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
}
