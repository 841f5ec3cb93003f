import { Module } from '@nestjs/common';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InspectionsModule } from '@modules/inspections/inspections.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LicencesModule } from '@modules/licences/licences.module';
import { EligibilityService } from './eligibility.service';
import { DailySupervisionJob } from './jobs/daily-supervision.job';
import { SupervisionEventsModule } from './supervision-events.module';
import { SupervisionController } from './supervision.controller';

@Module({
  imports: [InstitutionsModule, LicencesModule, InspectionsModule, EscrowAccountsModule, SupervisionEventsModule],
  controllers: [SupervisionController],
  providers: [EligibilityService, DailySupervisionJob],
  exports: [EligibilityService],
})
export class SupervisionModule {}
