import { Module } from '@nestjs/common';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { EscrowAccountsController } from './escrow-accounts.controller';
import { EscrowAccountsRepository } from './escrow-accounts.repository';
import { EscrowAccountsService } from './escrow-accounts.service';

@Module({
  imports: [InstitutionsModule, SupervisionEventsModule],
  controllers: [EscrowAccountsController],
  providers: [EscrowAccountsRepository, EscrowAccountsService],
  exports: [EscrowAccountsService],
})
export class EscrowAccountsModule {}
