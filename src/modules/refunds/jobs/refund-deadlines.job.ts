import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@common/clock';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { RefundsService } from '../refunds.service';

const BATCH = 100;

/**
 * Hourly. Silence is approval: every request whose response window (the contract's working days)
 * has passed is approved, exactly once: each row is claimed with SKIP LOCKED in its own transaction
 * and the state change is guarded by the refund state machine, so two runs, a retry or a worker
 * dying mid-approval (its transaction rolls back) approve each request once. Then every approved refund not paid by its
 * day raises one REFUND_OVERDUE supervision event.
 */
@Injectable()
@JobHandler(JobName.RefundDeadlines)
export class RefundDeadlinesJob implements JobHandlerOf<JobName.RefundDeadlines> {
  private readonly logger = new Logger(RefundDeadlinesJob.name);

  constructor(
    private readonly refunds: RefundsService,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayloads[JobName.RefundDeadlines] = {}): Promise<{ deemed: number; lapsed: number; overdue: number }> {
    const today = payload.today ?? this.clock.today();
    let deemed = 0;
    let lapsed = 0;
    let after: string | null = null;
    for (;;) {
      const r = await this.refunds.deemDue(today, BATCH, after);
      deemed += r.deemed;
      lapsed += r.lapsed;
      after = r.last;
      if (r.seen < BATCH) break;
    }
    let overdue = 0;
    for (;;) {
      const n = await this.refunds.raiseOverdue(today, BATCH);
      overdue += n;
      if (n < BATCH) break;
    }
    if (deemed || lapsed || overdue) this.logger.log(`Refunds for ${today}: ${deemed} deemed approved, ${lapsed} lapsed, ${overdue} overdue`);
    return { deemed, lapsed, overdue };
  }
}
