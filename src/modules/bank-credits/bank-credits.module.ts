import { Module } from '@nestjs/common';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { BankCreditsController } from './bank-credits.controller';
import { BankCreditsRepository } from './bank-credits.repository';
import { BankCreditsService } from './bank-credits.service';

/** Money into escrow; owner of `bank_credits`. */
@Module({
  imports: [ContractsModule, EscrowAccountsModule, InstitutionsModule, LedgerModule, SupervisionEventsModule],
  controllers: [BankCreditsController],
  providers: [BankCreditsRepository, BankCreditsService],
  exports: [BankCreditsService],
})
export class BankCreditsModule {}
