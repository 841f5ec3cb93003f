import { Module } from '@nestjs/common';
import { EscrowAccountsModule } from '../escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { LedgerAccessService } from './ledger-access.service';
import { LedgerController } from './ledger.controller';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

@Module({
  imports: [InstitutionsModule, EscrowAccountsModule],
  controllers: [LedgerController],
  providers: [LedgerRepository, LedgerService, LedgerAccessService],
  exports: [LedgerService],
})
export class LedgerModule {}
