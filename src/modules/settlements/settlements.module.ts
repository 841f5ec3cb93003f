import { Module } from '@nestjs/common';
import { BanksModule } from '@modules/banks/banks.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { DeliverSettlementInstructionJob, SettlementInstructionCreatedJob } from './jobs/delivery.jobs';
import { SettlementAdminService } from './settlement-admin.service';
import { SettlementDeliveryService } from './settlement-delivery.service';
import { SettlementResultsService } from './settlement-results.service';
import { SettlementResultsController, SettlementsController } from './settlements.controller';
import { SettlementsRepository } from './settlements.repository';
import { ReinstructionController } from './reinstruction.controller';

/** Delivery of money movements to banks and their callbacks; owner of `settlement_delivery_attempts` and `bank_webhook_receipts`. */
@Module({
  imports: [SupervisionEventsModule, MoneyMovementsModule, BanksModule],
  controllers: [SettlementsController, SettlementResultsController, ReinstructionController],
  providers: [SettlementsRepository, SettlementResultsService, SettlementDeliveryService, SettlementAdminService, SettlementInstructionCreatedJob, DeliverSettlementInstructionJob],
})
export class SettlementsModule {}
