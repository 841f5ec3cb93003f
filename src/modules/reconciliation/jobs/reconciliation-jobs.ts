import { Injectable } from '@nestjs/common';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { ReconciliationEngineService } from '../reconciliation-engine.service';

/**
 * Reconciles one imported statement. Safe to run twice (the run's row is unique per statement and
 * written in the run's transaction); a worker killed mid-run rolls back and the job is taken over.
 */
@Injectable()
@JobHandler(JobName.ReconcileStatement)
export class ReconcileStatementJob implements JobHandlerOf<JobName.ReconcileStatement> {
  constructor(private readonly engine: ReconciliationEngineService) {}

  async handle({ statementId }: JobPayloads[JobName.ReconcileStatement]): Promise<{ runId: string; status: string; exceptions: number }> {
    const run = await this.engine.reconcileStatement(statementId);
    return { runId: run.id, status: run.status, exceptions: run.exceptions };
  }
}

/** Hourly: after the cut-off, a statement is expected for every active escrow account for the previous working day. */
@Injectable()
@JobHandler(JobName.StatementCheck)
export class StatementCheckJob implements JobHandlerOf<JobName.StatementCheck> {
  constructor(private readonly engine: ReconciliationEngineService) {}

  handle(payload: JobPayloads[JobName.StatementCheck] = {}): Promise<{ missing: number; agedOut: number }> {
    return this.engine.statementCheck(payload.today);
  }
}
