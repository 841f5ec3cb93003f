import { Module } from '@nestjs/common';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { RefundsModule } from '@modules/refunds/refunds.module';
import { ClosuresController } from './closures.controller';
import { ClosuresRepository } from './closures.repository';
import { ClosuresService } from './closures.service';
import { ClosureRefundsJob } from './jobs/closure-refunds.job';

/** Closures of institutions (first part: immediate closure with bulk refunds); owner of `closures` and `closure_contracts`. */
@Module({
  imports: [ContractsModule, EscrowAccountsModule, InstitutionsModule, RefundsModule],
  controllers: [ClosuresController],
  providers: [ClosuresRepository, ClosuresService, ClosureRefundsJob],
})
export class ClosuresModule {}
