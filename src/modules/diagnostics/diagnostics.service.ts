import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '@common/errors/domain-error';
import { OutboxService } from '@infra/outbox/outbox.service';
import { JobName, jobId } from '@infra/queues/queue.constants';
import { DiagnosticsRepository, QueueProbeRow } from './diagnostics.repository';

/**
 * The queue canary: an admin writes a probe through the outbox and watches a worker
 * process it exactly once. It exercises the path every settlement instruction takes.
 */
@Injectable()
export class DiagnosticsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: DiagnosticsRepository,
    private readonly outbox: OutboxService,
  ) {}

  async createProbe(requestedBy: string | null, holdMs: number): Promise<QueueProbeRow> {
    const id = randomUUID();
    return this.ds.transaction(async (m) => {
      await this.repo.insertProbe(m, id, requestedBy, holdMs);
      await this.outbox.enqueue(m, JobName.QueueProbe, { probeId: id, holdMs }, jobId('probe', id));
      return (await this.repo.findProbe(m, id))!;
    });
  }

  async getProbe(id: string): Promise<QueueProbeRow> {
    const probe = await this.repo.findProbe(this.ds.manager, id);
    if (!probe) throw new DomainError('NOT_FOUND', `Probe ${id} not found`);
    return probe;
  }
}
