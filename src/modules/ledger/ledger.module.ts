import { Module } from '@nestjs/common';
import { LedgerChainRepository } from './ledger-chain.repository';
import { LedgerChainService } from './ledger-chain.service';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

/** The escrow ledger and its chart of accounts. Imports no other module (its HTTP edge is ledger-api). */
@Module({
  providers: [LedgerRepository, LedgerService, LedgerChainRepository, LedgerChainService],
  exports: [LedgerService, LedgerChainService],
})
export class LedgerModule {}
