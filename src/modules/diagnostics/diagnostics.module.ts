import { Module } from '@nestjs/common';
import { DiagnosticsController } from './diagnostics.controller';
import { DiagnosticsRepository } from './diagnostics.repository';
import { DiagnosticsService } from './diagnostics.service';
import { QueueProbeJob } from './jobs/queue-probe.job';

@Module({
  controllers: [DiagnosticsController],
  providers: [DiagnosticsRepository, DiagnosticsService, QueueProbeJob],
})
export class DiagnosticsModule {}
