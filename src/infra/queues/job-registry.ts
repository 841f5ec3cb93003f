import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { JOB_HANDLER_METADATA, JobHandlerOf } from './job-handler.decorator';
import { JobName } from './queue.constants';

export class MissingJobHandlerError extends Error {}

/** Finds every `@JobHandler` provider and refuses to boot if a job name has none (or two). */
@Injectable()
export class JobRegistry implements OnModuleInit {
  private readonly handlers = new Map<string, JobHandlerOf<JobName>>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const name = this.reflector.get<JobName | undefined>(JOB_HANDLER_METADATA, metatype);
      if (!name) continue;
      if (this.handlers.has(name)) throw new MissingJobHandlerError(`Job ${name} has two handlers`);
      this.handlers.set(name, instance as JobHandlerOf<JobName>);
    }
    const missing = Object.values(JobName).filter((n) => !this.handlers.has(n));
    if (missing.length > 0) {
      throw new MissingJobHandlerError(`No handler registered for job(s): ${missing.join(', ')}`);
    }
  }

  get(name: string): JobHandlerOf<JobName> | undefined {
    return this.handlers.get(name);
  }
}
