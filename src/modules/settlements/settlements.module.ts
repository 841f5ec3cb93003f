import { Module } from '@nestjs/common';
import { SupervisionEventsModule } from '../supervision/supervision-events.module';
import { DeliverSettlementInstructionJob, SettlementInstructionCreatedJob } from './jobs/delivery.jobs';
import { SettlementDeliveryService } from './settlement-delivery.service';
import { SettlementsController } from './settlements.controller';

@Module({
  imports: [SupervisionEventsModule],
  controllers: [SettlementsController],
  providers: [SettlementDeliveryService, SettlementInstructionCreatedJob, DeliverSettlementInstructionJob],
})
export class SettlementsModule {}
