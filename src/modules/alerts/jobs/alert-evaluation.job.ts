import { Injectable, Logger } from '@nestjs/common';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName } from '@infra/queues/queue.constants';
import { AlertsService, EvaluationResult } from '../alerts.service';

/** Every 5 minutes: evaluates every alert rule (see AlertsService.evaluate). Safe to run twice. */
@Injectable()
@JobHandler(JobName.AlertEvaluation)
export class AlertEvaluationJob implements JobHandlerOf<JobName.AlertEvaluation> {
  private readonly logger = new Logger(AlertEvaluationJob.name);

  constructor(private readonly alerts: AlertsService) {}

  async handle(): Promise<EvaluationResult> {
    const r = await this.alerts.evaluate();
    if (r.opened.length) this.logger.log(`Alert evaluation: ${r.opened.length} alert(s) opened`);
    return r;
  }
}
