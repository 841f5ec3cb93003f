import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { ContractsService } from '@modules/contracts/contracts.service';
import { LessonReleaseService } from '../lesson-release.service';
import { LessonsRepository } from '../lessons.repository';

const BATCH = 200;

/**
 * Deems confirmed every lesson neither confirmed nor disputed within its window of working
 * days, and releases it. Exactly once: the state change is a guarded UPDATE (SKIP LOCKED), so
 * a job run twice, or a worker dying mid-batch (its transaction rolls back), changes each lesson once.
 */
@Injectable()
@JobHandler(JobName.DeemedConfirmation)
export class DeemedConfirmationJob implements JobHandlerOf<JobName.DeemedConfirmation> {
  private readonly logger = new Logger(DeemedConfirmationJob.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LessonsRepository,
    private readonly contracts: ContractsService,
    private readonly releases: LessonReleaseService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.DeemedConfirmation] = {}): Promise<{ deemed: number; released: number }> {
    const today = payload.today ?? this.clock.today();
    let deemed = 0;
    let released = 0;
    for (;;) {
      const n = await this.ds.transaction(async (m) => {
        // Released in contract order: each release locks its contract, so two runs lock contracts in the same order.
        const due = (await this.repo.deemDue(m, today, BATCH)).sort((a, b) => (a.contract_id < b.contract_id ? -1 : a.contract_id > b.contract_id ? 1 : 0));
        // All of them locked first: after its first release the batch holds a stripe of the institution's
        // unsettled account, and waiting then for a contract that a payer's confirmation holds, while that
        // one waits behind a settlement locking every stripe, would close a lock cycle (a deadlock).
        await this.contracts.lockForConsumption(m, [...new Set(due.map((l) => l.contract_id))]);
        for (const l of due) if ((await this.releases.release(m, l.id)) === 'released') released += 1;
        return due.length;
      });
      deemed += n;
      if (n < BATCH) break;
    }
    if (deemed) this.logger.log(`Deemed ${deemed} lessons confirmed (${released} released) for ${today}`);
    return { deemed, released };
  }
}

/** After an escrow account is unfrozen: releases what was held back, in batches. */
@Injectable()
@JobHandler(JobName.ReleasePendingLessons)
export class ReleasePendingLessonsJob implements JobHandlerOf<JobName.ReleasePendingLessons> {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LessonsRepository,
    private readonly contracts: ContractsService,
    private readonly releases: LessonReleaseService,
  ) {}

  async handle({ institutionId }: JobPayloads[JobName.ReleasePendingLessons]): Promise<{ released: number }> {
    let released = 0;
    // Tranche contracts: parts that came due while the account was frozen.
    const tranche = await this.contracts.idsWithCadence(institutionId, 'active', 'tranches');
    for (const id of tranche) {
      if ((await this.ds.transaction((m) => this.releases.releaseDueTranches(m, id))) === 'released') released += 1;
    }
    // Contracts a refund ended: the remainder that belongs to the institution (each its own transaction).
    for (const cadence of ['tranches', 'after_completion', 'per_lesson', 'weekly'] as const) {
      for (const id of await this.contracts.idsWithCadence(institutionId, 'terminated', cadence)) {
        if ((await this.ds.transaction((m) => this.releases.releaseAfterTermination(m, id))) === 'released') released += 1;
      }
    }
    for (;;) {
      const ids = await this.repo.unreleased(this.ds.manager, institutionId, BATCH);
      let moved = 0;
      for (const { id } of ids) {
        const r = await this.ds.transaction((m) => this.releases.release(m, id));
        if (r === 'released') moved += 1;
        else if (r === 'blocked_frozen') return { released }; // frozen again: stop, the next unfreeze resumes
      }
      released += moved;
      if (ids.length < BATCH || moved === 0) return { released };
    }
  }
}
