import { Module } from '@nestjs/common';
import { EscrowAccountsModule } from '@modules/escrow-accounts/escrow-accounts.module';
import { InstitutionsModule } from '@modules/institutions/institutions.module';
import { StatementsController } from './statements.controller';
import { StatementsRepository } from './statements.repository';
import { StatementsService } from './statements.service';

/**
 * Bank statements in (issue 13): parsing (camt.053, MT940, CSV), import and storage. Owner of
 * `bank_statement_files`, `bank_statement_file_chunks`, `bank_statements`, `bank_statement_entries`.
 */
@Module({
  imports: [EscrowAccountsModule, InstitutionsModule],
  controllers: [StatementsController],
  providers: [StatementsRepository, StatementsService],
  exports: [StatementsService],
})
export class StatementsModule {}
