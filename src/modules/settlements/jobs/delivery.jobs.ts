import { Injectable } from '@nestjs/common';
import { JobHandler, JobHandlerOf } from '@infra/queues/job-handler.decorator';
import { JobName, JobPayloads } from '@infra/queues/queue.constants';
import { AttemptOutcome, SettlementDeliveryService } from '../settlement-delivery.service';

/** A settlement instruction was committed (through the outbox): its first delivery attempt. */
@Injectable()
@JobHandler(JobName.SettlementInstructionCreated)
export class SettlementInstructionCreatedJob implements JobHandlerOf<JobName.SettlementInstructionCreated> {
  constructor(private readonly delivery: SettlementDeliveryService) {}

  handle({ instructionId }: JobPayloads[JobName.SettlementInstructionCreated]): Promise<AttemptOutcome> {
    return this.delivery.attempt(instructionId, 1);
  }
}

/** A scheduled retry. A worker that dies mid-attempt leaves the job stalled; another takes it over. */
@Injectable()
@JobHandler(JobName.DeliverSettlementInstruction)
export class DeliverSettlementInstructionJob implements JobHandlerOf<JobName.DeliverSettlementInstruction> {
  constructor(private readonly delivery: SettlementDeliveryService) {}

  handle({ instructionId, attempt, round }: JobPayloads[JobName.DeliverSettlementInstruction]): Promise<AttemptOutcome> {
    return this.delivery.attempt(instructionId, attempt, round);
  }
}
