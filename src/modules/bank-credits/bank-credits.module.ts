import { Module } from '@nestjs/common';
import { ContractsModule } from '../contracts/contracts.module';
import { EscrowAccountsModule } from '../escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { LedgerModule } from '../ledger/ledger.module';
import { SupervisionEventsModule } from '../supervision/supervision-events.module';
import { BankCreditsController } from './bank-credits.controller';
import { BankCreditsRepository } from './bank-credits.repository';
import { BankCreditsService } from './bank-credits.service';

/** Money into escrow; owner of `bank_credits`. */
@Module({
  imports: [ContractsModule, EscrowAccountsModule, InstitutionsModule, LedgerModule, SupervisionEventsModule],
  controllers: [BankCreditsController],
  providers: [BankCreditsRepository, BankCreditsService],
})
export class BankCreditsModule {}
