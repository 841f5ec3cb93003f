import { SetMetadata } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName, JobPayloads } from './queue.constants';

export const JOB_HANDLER_METADATA = 'escrow:job-handler';

/** Marks a provider as the handler of one job name; it must implement `JobHandlerOf<N>`. */
export const JobHandler = (name: JobName) => SetMetadata(JOB_HANDLER_METADATA, name);

export interface JobHandlerOf<N extends JobName> {
  handle(payload: JobPayloads[N], job: Job<JobPayloads[N]>): Promise<unknown>;
}
