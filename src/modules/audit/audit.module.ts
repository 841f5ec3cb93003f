import { Module } from '@nestjs/common';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { ReconciliationModule } from '@modules/reconciliation/reconciliation.module';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { DailyFlowsController } from './daily-flows.controller';
import { DailyFlowsRepository } from './daily-flows.repository';
import { DailyFlowsService } from './daily-flows.service';

@Module({
  imports: [InstitutionsModule, ReconciliationModule],
  controllers: [AuditController, DailyFlowsController],
  providers: [AuditRepository, AuditService, DailyFlowsRepository, DailyFlowsService],
})
export class AuditModule {}
