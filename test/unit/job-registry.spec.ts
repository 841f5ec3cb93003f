import { Reflector } from '@nestjs/core';
import { JobHandler } from '@infra/queues/job-handler.decorator';
import { JobRegistry, MissingJobHandlerError } from '@infra/queues/job-registry';
import { JobName } from '@infra/queues/queue.constants';

function registryWith(handlers: JobName[]): JobRegistry {
  const providers = handlers.map((name) => {
    @JobHandler(name)
    class Handler {
      async handle() {
        return name;
      }
    }
    return { instance: new Handler(), metatype: Handler };
  });
  const discovery = { getProviders: () => providers } as never;
  return new JobRegistry(discovery, new Reflector());
}

describe('JobRegistry', () => {
  it('boots when every job name has exactly one handler', () => {
    const registry = registryWith(Object.values(JobName));
    expect(() => registry.onModuleInit()).not.toThrow();
    expect(registry.get(JobName.QueueProbe)).toBeDefined();
  });

  it('refuses to boot when a job name has no handler, naming it', () => {
    const registry = registryWith(Object.values(JobName).filter((n) => n !== JobName.OutboxCleanup));
    expect(() => registry.onModuleInit()).toThrow(MissingJobHandlerError);
    expect(() => registryWith([]).onModuleInit()).toThrow(/maintenance\.outbox-cleanup/);
  });

  it('refuses two handlers for one job', () => {
    expect(() => registryWith([...Object.values(JobName), JobName.QueueProbe]).onModuleInit()).toThrow(/two handlers/);
  });
});
