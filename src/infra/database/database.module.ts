import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@config/app-config';
import { dataSourceOptions } from './data-source-options';
import { DatabaseUrl } from './database-url';
import { ProcessLiveness } from './process-liveness.service';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, DatabaseUrl],
      useFactory: (config: AppConfig, db: DatabaseUrl) => ({
        ...dataSourceOptions(db.url, config.DATABASE_POOL_SIZE, `escrow-${config.PROCESS_ROLE}`),
        autoLoadEntities: true,
      }),
    }),
  ],
  providers: [ProcessLiveness],
  exports: [ProcessLiveness],
})
export class DatabaseModule {}
