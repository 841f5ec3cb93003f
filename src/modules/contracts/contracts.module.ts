import { Module } from '@nestjs/common';
import { CoursesModule } from '@modules/courses/courses.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { PoliciesModule } from '@modules/policies/policies.module';
import { SupervisionModule } from '@modules/supervision/supervision.module';
import { ContractsController } from './contracts.controller';
import { ContractsRepository } from './contracts.repository';
import { ContractsService } from './contracts.service';

/** Owner of `contracts` (its state, counters of consumed lessons and the money paid in). */
@Module({
  imports: [InstitutionsModule, CoursesModule, PoliciesModule, SupervisionModule, EscrowAccountsModule],
  controllers: [ContractsController],
  providers: [ContractsRepository, ContractsService],
  exports: [ContractsService],
})
export class ContractsModule {}
