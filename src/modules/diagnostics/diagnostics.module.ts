import { Module } from '@nestjs/common';
import { DiagnosticsController } from './diagnostics.controller';
import { DiagnosticsRepository } from './diagnostics.repository';
import { DiagnosticsService } from './diagnostics.service';
import { OutboxCleanupJob, QueueProbeJob } from './jobs/queue-probe.job';

@Module({
  controllers: [DiagnosticsController],
  providers: [DiagnosticsRepository, DiagnosticsService, QueueProbeJob, OutboxCleanupJob],
})
export class DiagnosticsModule {}
