import { AppConfig } from '@config/app-config';
import { DatabaseUrl } from '@infra/database/database-url';
import { runMigrations } from '@infra/database/migrator';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '@infra/embedded/embedded-postgres.runtime';

export interface DatabaseRuntime {
  db: DatabaseUrl;
  embedded?: EmbeddedPostgresHandle;
  appliedMigrations: string[];
}

/**
 * Resolves the database (external, or embedded when DATABASE_URL is unset) and migrates it.
 * `createEmbedded: false` refuses to initialise an empty embedded data directory
 * (EmbeddedDatabaseMissingError) instead of silently starting a new, empty database.
 */
export async function prepareDatabase(
  config: AppConfig,
  log: (m: string) => void = () => undefined,
  opts: { createEmbedded?: boolean } = {},
): Promise<DatabaseRuntime> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT, log, create: opts.createEmbedded });
    url = embedded.url;
  }
  try {
    const appliedMigrations = await runMigrations(url);
    return { db: new DatabaseUrl(url, Boolean(embedded)), embedded, appliedMigrations };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
