import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ApiKeyGuard } from './modules/api-keys/api-key.guard';
import { GlobalExceptionFilter } from './common/errors/global-exception.filter';
import { IdempotencyInterceptor } from './common/idempotency/idempotency.interceptor';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './infra/database/database.module';
import { DatabaseUrl } from './infra/database/database-url';
import { LoggingModule } from './infra/logging/logging.module';
import { QueuesModule } from './infra/queues/queues.module';
import { ApiKeysModule } from './modules/api-keys/api-keys.module';
import { DiagnosticsModule } from './modules/diagnostics/diagnostics.module';
import { HealthModule } from './modules/health/health.module';
import { QueueAdminModule } from './modules/queue-admin/queue-admin.module';
import { EscrowAccountsModule } from './modules/escrow-accounts/escrow-accounts.module';
import { InspectionsModule } from './modules/inspections/inspections.module';
import { InstitutionsModule } from './modules/institutions/institutions.module';
import { LicencesModule } from './modules/licences/licences.module';
import { SupervisionModule } from './modules/supervision/supervision.module';
import { CommonModule } from './common/common.module';
import { LedgerModule } from './modules/ledger/ledger.module';
import { LedgerApiModule } from './modules/ledger-api/ledger-api.module';
import { PoliciesModule } from './modules/policies/policies.module';
import { CoursesModule } from './modules/courses/courses.module';
import { ContractsModule } from './modules/contracts/contracts.module';
import { BanksModule } from './modules/banks/banks.module';
import { BankCreditsModule } from './modules/bank-credits/bank-credits.module';
import { AuditModule } from './modules/audit/audit.module';
import { CalendarModule } from './modules/calendar/calendar.module';
import { LessonsModule } from './modules/lessons/lessons.module';
import { SettlementsModule } from './modules/settlements/settlements.module';
import { StatementsModule } from './modules/statements/statements.module';
import { ReconciliationModule } from './modules/reconciliation/reconciliation.module';
import { DeductionsModule } from '@modules/deductions/deductions.module';
import { InstalmentsModule } from '@modules/instalments/instalments.module';
import { RefundsModule } from './modules/refunds/refunds.module';
import { SuspenseModule } from './modules/suspense/suspense.module';
import { ClosuresModule } from './modules/closures/closures.module';
import { AlertsModule } from './modules/alerts/alerts.module';
import { ActionLogModule } from './modules/action-log/action-log.module';

/** Domain modules, one per bounded context. */
export const DOMAIN_MODULES: Type[] = [
  ApiKeysModule,
  DiagnosticsModule,
  HealthModule,
  QueueAdminModule,
  InstitutionsModule,
  LicencesModule,
  InspectionsModule,
  EscrowAccountsModule,
  SupervisionModule,
  LedgerModule,
  LedgerApiModule,
  PoliciesModule,
  CoursesModule,
  ContractsModule,
  BanksModule,
  BankCreditsModule,
  AuditModule,
  CalendarModule,
  LessonsModule,
  SettlementsModule,
  StatementsModule,
  ReconciliationModule,
  DeductionsModule,
  InstalmentsModule,
  RefundsModule,
  SuspenseModule,
  ClosuresModule,
  AlertsModule,
  ActionLogModule,
];

@Global()
@Module({})
class RuntimeModule {
  static register(db: DatabaseUrl): DynamicModule {
    return { module: RuntimeModule, providers: [{ provide: DatabaseUrl, useValue: db }], exports: [DatabaseUrl] };
  }
}

@Module({})
export class AppModule {
  static register(config: AppConfig, db: DatabaseUrl): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        RuntimeModule.register(db),
        LoggingModule,
        DatabaseModule,
        QueuesModule,
        IdempotencyModule,
        ...DOMAIN_MODULES,
      ],
      providers: [
        { provide: APP_FILTER, useClass: GlobalExceptionFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
