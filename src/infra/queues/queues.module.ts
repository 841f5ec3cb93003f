import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '@config/app-config';
import { DatabaseUrl } from '../database/database-url';
import { MetricsService } from '../metrics/metrics.service';
import { OutboxCleanupJob } from '../outbox/outbox-cleanup.job';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { OutboxService } from '../outbox/outbox.service';
import { JobExecutions } from './job-executions';
import { JobRegistry } from './job-registry';
import { QueueBackend } from './queue-backend';
import { QueueRecovery } from './queue-recovery.service';
import { QUEUE_BACKEND, QueueService } from './queue.service';
import { WorkerHost } from './worker-host.service';

export function queueBackendFor(config: AppConfig, db: DatabaseUrl): QueueBackend {
  return config.REDIS_URL
    ? new QueueBackend({ kind: 'redis', url: config.REDIS_URL, prefix: config.QUEUE_PREFIX })
    : new QueueBackend({ kind: 'postgres', url: db.url, prefix: config.QUEUE_PREFIX });
}

/** Queues, workers, the outbox and process metrics: the platform every domain module uses. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: QUEUE_BACKEND,
      inject: [AppConfig, DatabaseUrl],
      useFactory: async (config: AppConfig, db: DatabaseUrl) => {
        const backend = queueBackendFor(config, db);
        await backend.prepare();
        return backend;
      },
    },
    QueueService,
    JobRegistry,
    WorkerHost,
    OutboxService,
    OutboxRelay,
    OutboxCleanupJob,
    QueueRecovery,
    JobExecutions,
    MetricsService,
  ],
  exports: [QueueService, OutboxService, JobExecutions, MetricsService, OutboxRelay, QUEUE_BACKEND],
})
export class QueuesModule {}
