import { Module } from '@nestjs/common';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { DeductionsController } from './deductions.controller';
import { DeductionsRepository } from './deductions.repository';
import { DeductionsService } from './deductions.service';
import { DeductionsDueJob } from './jobs/deductions-due.job';

/** Scheduled bank deductions (银行定期划扣), periodic release; owner of `deduction_schedules`, `deduction_periods`, `deduction_pauses`. */
@Module({
  imports: [ContractsModule, EscrowAccountsModule, InstitutionsModule, LedgerModule, MoneyMovementsModule, SupervisionEventsModule],
  controllers: [DeductionsController],
  providers: [DeductionsRepository, DeductionsService, DeductionsDueJob],
  exports: [DeductionsService],
})
export class DeductionsModule {}
