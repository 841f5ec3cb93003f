import { Module } from '@nestjs/common';
import { BankCreditsModule } from '@modules/bank-credits/bank-credits.module';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { PoliciesModule } from '@modules/policies/policies.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { SuspenseAgingJob } from './jobs/suspense-aging.job';
import { SuspenseController } from './suspense.controller';
import { SuspenseRepository } from './suspense.repository';
import { SuspenseService } from './suspense.service';

/** Resolution of money held in suspense; owner of `suspense_resolutions`. */
@Module({
  imports: [BankCreditsModule, ContractsModule, EscrowAccountsModule, InstitutionsModule, LedgerModule, MoneyMovementsModule, PoliciesModule, SupervisionEventsModule],
  controllers: [SuspenseController],
  providers: [SuspenseRepository, SuspenseService, SuspenseAgingJob],
})
export class SuspenseModule {}
