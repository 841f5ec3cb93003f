import { Module } from '@nestjs/common';
import { LedgerChainRepository } from './ledger-chain.repository';
import { LedgerChainService } from './ledger-chain.service';
import { LedgerDayCloseJob } from './jobs/ledger-day-close.job';
import { LedgerDayCloseRepository } from './ledger-day-close.repository';
import { LedgerDayCloseService } from './ledger-day-close.service';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

/** The escrow ledger and its chart of accounts. Imports no other module (its HTTP edge is ledger-api). */
@Module({
  providers: [LedgerRepository, LedgerService, LedgerChainRepository, LedgerChainService, LedgerDayCloseRepository, LedgerDayCloseService, LedgerDayCloseJob],
  exports: [LedgerService, LedgerChainService, LedgerDayCloseService],
})
export class LedgerModule {}
