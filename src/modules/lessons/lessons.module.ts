import { Module } from '@nestjs/common';
import { CalendarModule } from '@modules/calendar/calendar.module';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { CoursesModule } from '@modules/courses/courses.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { CompletionReleasesJob, WeeklySettlementJob } from './jobs/cadence-jobs';
import { DeemedConfirmationJob, ReleasePendingLessonsJob } from './jobs/lesson-jobs';
import { LessonReleaseService } from './lesson-release.service';
import { LessonsController } from './lessons.controller';
import { LessonsRepository } from './lessons.repository';
import { LessonsService } from './lessons.service';
import { PayerContractController } from './payer-contract.controller';
import { PayerViewService } from './payer-view.service';

/** One lesson, one release; owner of `lessons`, `lesson_sessions` and `contract_releases`. */
@Module({
  imports: [InstitutionsModule, CoursesModule, ContractsModule, EscrowAccountsModule, LedgerModule, MoneyMovementsModule, CalendarModule],
  controllers: [LessonsController, PayerContractController],
  providers: [
    LessonsRepository,
    LessonsService,
    PayerViewService,
    LessonReleaseService,
    DeemedConfirmationJob,
    ReleasePendingLessonsJob,
    WeeklySettlementJob,
    CompletionReleasesJob,
  ],
  exports: [LessonReleaseService],
})
export class LessonsModule {}
