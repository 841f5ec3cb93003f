import { Module } from '@nestjs/common';
import { BankCreditsModule } from '@modules/bank-credits/bank-credits.module';
import { CalendarModule } from '@modules/calendar/calendar.module';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { LedgerModule } from '@modules/ledger/ledger.module';
import { MoneyMovementsModule } from '@modules/money-movements/money-movements.module';
import { StatementsModule } from '@modules/statements/statements.module';
import { SupervisionEventsModule } from '@modules/supervision/supervision-events.module';
import { ReconcileStatementJob, StatementCheckJob } from './jobs/reconciliation-jobs';
import { ReconciliationEngineService } from './reconciliation-engine.service';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationReadsRepository } from './reconciliation-reads.repository';
import { ReconciliationRecordsRepository } from './reconciliation-records.repository';
import { ReconciliationService } from './reconciliation.service';
import { ResolutionsRepository } from './resolutions.repository';
import { ResolutionsService } from './resolutions.service';

/**
 * Reconciliation of bank statements against the ledger (issue 13): the queued engine, the daily
 * statement check, the exceptions and their resolutions. Owner of the six reconciliation_* tables.
 */
@Module({
  imports: [StatementsModule, BankCreditsModule, MoneyMovementsModule, LedgerModule, CalendarModule, SupervisionEventsModule, EscrowAccountsModule, InstitutionsModule],
  controllers: [ReconciliationController],
  providers: [ReconciliationRepository, ReconciliationRecordsRepository, ReconciliationEngineService, ReconcileStatementJob, StatementCheckJob, ResolutionsRepository, ReconciliationReadsRepository, ReconciliationService, ResolutionsService],
  exports: [ReconciliationEngineService, ReconciliationService],
})
export class ReconciliationModule {}
