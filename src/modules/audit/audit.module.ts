import { Module } from '@nestjs/common';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { ReconciliationModule } from '@modules/reconciliation/reconciliation.module';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

@Module({ imports: [InstitutionsModule, ReconciliationModule], controllers: [AuditController], providers: [AuditRepository, AuditService] })
export class AuditModule {}
