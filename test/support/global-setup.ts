import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '../../src/infra/database/migrator';
import { startEmbeddedPostgres } from '../../src/infra/embedded/embedded-postgres.runtime';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * One run: a server (TEST_DATABASE_URL, or an embedded PostgreSQL in a temp dir), and a
 * uniquely named, migrated template database. Each test file clones its own database from
 * the template; teardown drops every database of this run.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'escrow-test-pg-'));
    chmodSync(dir, 0o755); // as root the server runs as the postgres user, who must reach the data dir
    const embedded = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: 0 });
    (globalThis as Record<string, unknown>).__ESCROW_EMBEDDED__ = embedded;
    serverUrl = embedded.serverUrl;
    process.stdout.write(`\n[test] TEST_DATABASE_URL not set: using an embedded PostgreSQL on port ${embedded.port}\n`);
  }
  const runId = `escrow_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const template = `${runId}_tpl`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await runMigrations(withDatabase(serverUrl, template));

  process.env.ESCROW_TEST_SERVER_URL = serverUrl;
  process.env.ESCROW_TEST_RUN_ID = runId;
  process.env.ESCROW_TEST_TEMPLATE = template;
}
