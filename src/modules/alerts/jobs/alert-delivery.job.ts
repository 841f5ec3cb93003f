import { Injectable } from '@nestjs/common';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { AttemptOutcome } from '@modules/settlements/webhook-delivery';
import { AlertSubscriptionsService } from '../alert-subscriptions.service';

/** One attempt to deliver a new alert to a subscription (the first through the outbox, retries scheduled by the previous one). */
@Injectable()
@JobHandler(JobName.DeliverAlert)
export class DeliverAlertJob implements JobHandlerOf<JobName.DeliverAlert> {
  constructor(private readonly subscriptions: AlertSubscriptionsService) {}

  handle({ deliveryId, attempt, round }: JobPayloads[JobName.DeliverAlert]): Promise<AttemptOutcome> {
    return this.subscriptions.attempt(deliveryId, attempt, round);
  }
}
