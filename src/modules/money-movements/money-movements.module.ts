import { Module } from '@nestjs/common';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { MoneyMovementsRepository } from './money-movements.repository';
import { MoneyMovementsService } from './money-movements.service';
import { MovementDeliveryRepository } from './movement-delivery.repository';
import { MovementOutcomes } from './movement-outcomes';
import { MovementReinstructionService } from './movement-reinstruction.service';

/** Owner of `settlement_instructions` (the money movements) and `movement_sequences`. */
@Module({
  imports: [LedgerModule, EscrowAccountsModule, InstitutionsModule, SupervisionEventsModule],
  providers: [MoneyMovementsRepository, MovementDeliveryRepository, MoneyMovementsService, MovementOutcomes, MovementReinstructionService],
  exports: [MoneyMovementsService, MovementReinstructionService],
})
export class MoneyMovementsModule {}
