import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/** Applies pending migrations with a short-lived connection; safe when several processes boot at once. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url, 2, 'escrow-migrator'));
  await ds.initialize();
  try {
    // Serialise concurrent starters (api and worker booting together) on an advisory lock.
    await ds.query('SELECT pg_advisory_lock(7466391)');
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await ds.query('SELECT pg_advisory_unlock(7466391)');
    }
  } finally {
    await ds.destroy();
  }
}

/** Reverts every applied migration, newest first (used by the migration tests and the CLI). */
export async function revertMigrations(url: string, steps = Number.POSITIVE_INFINITY): Promise<number> {
  const ds = new DataSource(dataSourceOptions(url, 2, 'escrow-migrator'));
  await ds.initialize();
  let reverted = 0;
  try {
    while (reverted < steps) {
      const rows: { count: string }[] = await ds.query('SELECT count(*)::text AS count FROM schema_migrations');
      if (Number(rows[0].count) === 0) break;
      await ds.undoLastMigration({ transaction: 'each' });
      reverted += 1;
    }
    return reverted;
  } finally {
    await ds.destroy();
  }
}
