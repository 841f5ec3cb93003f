import { DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../../migrations';

/**
 * TypeORM options shared by the Nest module, the CLI and the test harness. `synchronize`
 * stays off: the schema only changes through migrations in `migrations/`.
 */
export function dataSourceOptions(url: string, poolSize: number, applicationName = 'escrow-supervision'): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    entities: [],
    extra: { max: poolSize, application_name: applicationName },
    logging: false,
  };
}
