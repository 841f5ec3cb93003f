import { Module } from '@nestjs/common';
import { BankCreditsModule } from '../bank-credits/bank-credits.module';
import { LedgerModule } from '../ledger/ledger.module';
import { SupervisionEventsModule } from '../supervision/supervision-events.module';
import { SettlementResultsService } from './settlement-results.service';
import { DeliverSettlementInstructionJob, SettlementInstructionCreatedJob } from './jobs/delivery.jobs';
import { SettlementDeliveryService } from './settlement-delivery.service';
import { SettlementResultsController, SettlementsController } from './settlements.controller';

@Module({
  imports: [SupervisionEventsModule, LedgerModule, BankCreditsModule],
  controllers: [SettlementsController, SettlementResultsController],
  providers: [SettlementResultsService, SettlementDeliveryService, SettlementInstructionCreatedJob, DeliverSettlementInstructionJob],
})
export class SettlementsModule {}
