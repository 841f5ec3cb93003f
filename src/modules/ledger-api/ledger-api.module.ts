import { Module } from '@nestjs/common';
import { ContractsModule } from '@modules/contracts/contracts.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { LedgerApiController } from './ledger-api.controller';
import { LedgerAccessService } from './ledger-access.service';
import { LedgerVerifyController } from './ledger-verify.controller';

/** The ledger's HTTP reads (and the admin reversal): an edge over the ledger, which knows no other module. */
@Module({
  imports: [LedgerModule, InstitutionsModule, EscrowAccountsModule, ContractsModule],
  controllers: [LedgerApiController, LedgerVerifyController],
  providers: [LedgerAccessService],
})
export class LedgerApiModule {}
