import { Module } from '@nestjs/common';
import { BankCreditsModule } from '@modules/bank-credits/bank-credits.module';
import { CalendarModule } from '@modules/calendar/calendar.module';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { DeductionsModule } from '@modules/deductions/deductions.module';
import { InstalmentsModule } from '@modules/instalments/instalments.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { LessonsModule } from '@modules/lessons/lessons.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { RefundDeadlinesJob } from './jobs/refund-deadlines.job';
import { RefundsController } from './refunds.controller';
import { RefundsRepository } from './refunds.repository';
import { RefundsService } from './refunds.service';

/** Refunds to payers (退费); owner of `refunds`. */
@Module({
  imports: [ContractsModule, InstitutionsModule, BankCreditsModule, CalendarModule, MoneyMovementsModule, LessonsModule, LedgerModule, SupervisionEventsModule, DeductionsModule, InstalmentsModule],
  controllers: [RefundsController],
  providers: [RefundsRepository, RefundsService, RefundDeadlinesJob],
  exports: [RefundsService],
})
export class RefundsModule {}
