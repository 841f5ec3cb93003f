import { Module } from '@nestjs/common';
import { ContractsModule } from '../contracts/contracts.module';
import { EscrowAccountsModule } from '../escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { LedgerModule } from '../ledger/ledger.module';
import { LedgerApiController } from './ledger-api.controller';
import { LedgerAccessService } from './ledger-access.service';

/** The ledger's HTTP reads (and the admin reversal): an edge over the ledger, which knows no other module. */
@Module({
  imports: [LedgerModule, InstitutionsModule, EscrowAccountsModule, ContractsModule],
  controllers: [LedgerApiController],
  providers: [LedgerAccessService],
})
export class LedgerApiModule {}
