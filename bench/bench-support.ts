import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@infra/database/migrator';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '@infra/embedded/embedded-postgres.runtime';
import { baselineWanted, PgbenchBaseline, pgbenchBaseline } from './pgbench-baseline';

/**
 * A throw-away database for one benchmark run: on the server in BENCH_DATABASE_URL or
 * TEST_DATABASE_URL (a server URL), else an embedded PostgreSQL. Dropped at the end.
 */
export interface BenchDatabase {
  url: string;
  /** A URL of the server (its default database), for the pgbench baseline. */
  serverUrl: string;
  where: string;
  drop(): Promise<void>;
}

export async function benchDatabase(env: NodeJS.ProcessEnv): Promise<BenchDatabase> {
  let serverUrl = env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL;
  let embedded: EmbeddedPostgresHandle | undefined;
  if (!serverUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'escrow-bench-'));
    chmodSync(dir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: 0 });
    serverUrl = embedded.serverUrl;
  }
  const name = `escrow_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  await runMigrations(u.toString());
  const server = serverUrl;
  return {
    url: u.toString(),
    serverUrl: server,
    where: embedded ? `embedded PostgreSQL (port ${embedded.port})` : `PostgreSQL at ${u.host}`,
    drop: async () => {
      if (env.BENCH_KEEP) {
        process.stdout.write(`kept ${u.toString()} (BENCH_KEEP)\n`);
        return;
      }
      const a = new Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
      await embedded?.stop();
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const i = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, i)];
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** BANK_SECRET_KEYS is required with a database: a throw-away key ring unless one is given. */
export function benchBankSecretKeys(env: NodeJS.ProcessEnv): string {
  return env.BANK_SECRET_KEYS ?? `bench:${randomBytes(32).toString('base64')}`;
}

/** The pgbench baseline on the benchmark's own server when asked for (`--baseline`, BENCH_BASELINE=1), else null. */
export async function benchBaseline(db: BenchDatabase, argv = process.argv, env = process.env): Promise<PgbenchBaseline | null> {
  if (!baselineWanted(argv, env)) return null;
  return pgbenchBaseline(db.serverUrl, (line) => process.stdout.write(`${line}\n`));
}
