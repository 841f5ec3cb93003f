import { Module } from '@nestjs/common';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { DeductionsModule } from '@modules/deductions/deductions.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { InstalmentsController } from './instalments.controller';
import { InstalmentsRepository } from './instalments.repository';
import { InstalmentsService } from './instalments.service';
import { InstalmentsDueJob } from './jobs/instalments-due.job';
import { ScheduleViewService } from './schedule-view.service';

/** Instalment debits under the payer's mandate; owner of `instalment_plans`, `instalments`, `mandates`. */
@Module({
  imports: [ContractsModule, DeductionsModule, InstitutionsModule, MoneyMovementsModule, SupervisionEventsModule],
  controllers: [InstalmentsController],
  providers: [InstalmentsRepository, InstalmentsService, InstalmentsDueJob, ScheduleViewService],
  exports: [InstalmentsService, InstalmentsDueJob],
})
export class InstalmentsModule {}
