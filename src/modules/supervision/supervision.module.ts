import { Module } from '@nestjs/common';
import { EscrowAccountsModule } from '../escrow-accounts/escrow-accounts.module';
import { InspectionsModule } from '../inspections/inspections.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { EligibilityService } from './eligibility.service';
import { DailySupervisionJob } from './jobs/daily-supervision.job';
import { SupervisionEventsModule } from './supervision-events.module';
import { SupervisionController } from './supervision.controller';
import { SupervisionRepository } from './supervision.repository';

@Module({
  imports: [InstitutionsModule, InspectionsModule, EscrowAccountsModule, SupervisionEventsModule],
  controllers: [SupervisionController],
  providers: [EligibilityService, SupervisionRepository, DailySupervisionJob],
  exports: [EligibilityService],
})
export class SupervisionModule {}
