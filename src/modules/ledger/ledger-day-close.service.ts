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
 * When checkpoints are taken and how long they are kept (the daily close is kept for ever).
 * A city (20,000 institutions) writes 20,000 rows a checkpoint (3.3 MB): every 5 minutes kept
 * 2 hours, then one an hour kept a week (192 kept, ~620 MB). The audit of now adds at
 * most about 5 minutes of postings; of a moment in the last week, at most half an hour's.
 */
export interface CheckpointPlan {
  everyMs: number;
  fineKeptMs: number;
  coarseMs: number;
  keptMs: number;
  /** How long a run waits for a transaction begun before a checkpoint's end (else the next run takes it). */
  graceMs: number;
}

export const CHECKPOINT_PLAN: CheckpointPlan = { everyMs: 5 * 60_000, fineKeptMs: 2 * HOUR_MS, coarseMs: HOUR_MS, keptMs: 7 * 24 * HOUR_MS, graceMs: 10_000 };

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;

export interface CheckpointResult {
  taken: Date[];
  /** The first checkpoint not taken because a transaction that began before its end is still running. */
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
   * Takes the checkpoints due up to `now` (see CheckpointPlan), oldest first, each in its own
   * transaction under one advisory lock (exactly once each), from the later of the previous
   * checkpoint and the daily close; then deletes those out of the plan. As for the daily close, a
   * checkpoint is taken only once no transaction that began before its end is still open: a
   * posting is dated no earlier than its transaction's start, so none dated before the end can
   * commit afterwards and the checkpoint never misses a late commit (nor counts it twice: the
   * next checkpoint sums from this end onwards).
   */
  async takeCheckpoints(now: Date, plan: CheckpointPlan = CHECKPOINT_PLAN): Promise<CheckpointResult> {
    const { everyMs, coarseMs } = plan;
    const nowMs = now.getTime();
    const fineFrom = floorTo(nowMs, everyMs) - plan.fineKeptMs;
    const oldest = floorTo(nowMs, coarseMs) - plan.keptMs;
    const taken: Date[] = [];
    let waitingFor: Date | null = null;
    const graceUntil = Date.now() + plan.graceMs;
    for (let i = 0; i < plan.keptMs / coarseMs + plan.fineKeptMs / everyMs + 24; i++) {
      const step = await this.ds.transaction(async (m) => {
        await this.repo.lockCheckpointer(m);
        const last = await this.repo.lastCheckpointAt(m);
        let next = last ? last.getTime() + everyMs : null;
        if (next === null || next < oldest) {
          const first = await this.repo.firstPostingAt(m);
          if (!first) return { done: true as const };
          next = Math.max(oldest, floorTo(first.getTime(), everyMs) + everyMs);
        }
        // Older than the fine window: only the coarse ones (a catch-up after a pause).
        if (next < fineFrom) next = Math.min(ceilTo(next, coarseMs), fineFrom);
        const closesAt = new Date(next);
        // Never a checkpoint that has not ended (a travelled test clock may say otherwise).
        if (next > nowMs || next > Date.now()) return { done: true as const };
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
      if (!step.done) {
        taken.push(step.closesAt);
        continue;
      }
      waitingFor = 'waitingFor' in step ? (step.waitingFor ?? null) : null;
      // A transaction in flight across the boundary usually ends within milliseconds.
      if (waitingFor && Date.now() + 250 < graceUntil) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      break;
    }
    const pruned = await this.ds.transaction(async (m) => {
      await this.repo.lockCheckpointer(m);
      return this.repo.pruneCheckpoints(m, new Date(oldest), new Date(fineFrom), coarseMs);
    });
    return { taken, waitingFor, pruned };
  }
}
