import { Module } from '@nestjs/common';
import { BankCreditsModule } from '@modules/bank-credits/bank-credits.module';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { DeductionsModule } from '@modules/deductions/deductions.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { LessonsModule } from '@modules/lessons/lessons.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { PoliciesModule } from '@modules/policies/policies.module';
import { RefundsModule } from '@modules/refunds/refunds.module';
import { SupervisionModule } from '@modules/supervision/supervision.module';
import { ClosureRefundsService } from './closure-refunds.service';
import { ClosureTransfersRepository } from './closure-transfers.repository';
import { ClosureTransfersService } from './closure-transfers.service';
import { ClosuresController } from './closures.controller';
import { ClosuresRepository } from './closures.repository';
import { ClosuresService } from './closures.service';
import { TransfersController } from './transfers.controller';
import { ClosureRefundsJob } from './jobs/closure-refunds.job';
import { PlannedClosuresJob } from './jobs/planned-closures.job';

/** Closures of institutions: planned and immediate, bulk refunds (pro rata when cash is short), transfers, completion; owner of `closures`, `closure_contracts`, `closure_plans`, `closure_transfers`. */
@Module({
  imports: [BankCreditsModule, ContractsModule, DeductionsModule, EscrowAccountsModule, InstitutionsModule, LedgerModule, LessonsModule, MoneyMovementsModule, PoliciesModule, RefundsModule, SupervisionModule],
  controllers: [ClosuresController, TransfersController],
  providers: [ClosuresRepository, ClosureTransfersRepository, ClosuresService, ClosureRefundsService, ClosureTransfersService, ClosureRefundsJob, PlannedClosuresJob],
})
export class ClosuresModule {}
