import { Module } from '@nestjs/common';
import { CalendarModule } from '../calendar/calendar.module';
import { ContractsModule } from '../contracts/contracts.module';
import { CoursesModule } from '../courses/courses.module';
import { EscrowAccountsModule } from '../escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { LedgerModule } from '../ledger/ledger.module';
import { MoneyMovementsModule } from '../money-movements/money-movements.module';
import { CompletionReleasesJob, WeeklySettlementJob } from './jobs/cadence-jobs';
import { DeemedConfirmationJob, ReleasePendingLessonsJob } from './jobs/lesson-jobs';
import { LessonReleaseService } from './lesson-release.service';
import { LessonsController } from './lessons.controller';
import { LessonsRepository } from './lessons.repository';
import { LessonsService } from './lessons.service';

/** One lesson, one release; owner of `lessons`, `lesson_sessions` and `contract_releases`. */
@Module({
  imports: [InstitutionsModule, CoursesModule, ContractsModule, EscrowAccountsModule, LedgerModule, MoneyMovementsModule, CalendarModule],
  controllers: [LessonsController],
  providers: [
    LessonsRepository,
    LessonsService,
    LessonReleaseService,
    DeemedConfirmationJob,
    ReleasePendingLessonsJob,
    WeeklySettlementJob,
    CompletionReleasesJob,
  ],
})
export class LessonsModule {}
