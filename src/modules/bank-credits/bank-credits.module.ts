import { Module } from '@nestjs/common';
import { ContractsModule } from '../contracts/contracts.module';
import { LedgerModule } from '../ledger/ledger.module';
import { SupervisionEventsModule } from '../supervision/supervision-events.module';
import { BankCreditsController } from './bank-credits.controller';
import { BankCreditsService } from './bank-credits.service';
import { BanksService } from './banks.service';

@Module({
  imports: [ContractsModule, LedgerModule, SupervisionEventsModule],
  controllers: [BankCreditsController],
  providers: [BanksService, BankCreditsService],
  exports: [BanksService],
})
export class BankCreditsModule {}
