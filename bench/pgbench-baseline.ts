import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The machine's own yardstick: pgbench's TPC-B-like transaction (scale 10, 16 clients, 2 threads,
 * 10 s) on the same PostgreSQL server, in its own throw-away database. Figures from a loaded or a
 * quiet day are compared by their ratio to it, never by their absolute value.
 */
export interface PgbenchBaseline {
  pgbench_tps: number;
  pgbench_latency_ms: number;
}

export const BASELINE = { scale: 10, clients: 16, threads: 2, seconds: 10 } as const;

/** `--baseline` on the command line or BENCH_BASELINE=1 asks a benchmark to run the baseline first. */
export function baselineWanted(argv: string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--baseline') || env.BENCH_BASELINE === '1' || env.BENCH_BASELINE === 'true';
}

function run(args: string[]): string {
  const r = spawnSync('pgbench', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`pgbench could not start (is it on the PATH?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`pgbench ${args[0]} exited ${r.status}: ${r.stderr.slice(-500)}`);
  return `${r.stdout}\n${r.stderr}`;
}

/** Runs the baseline on the server of `serverUrl` (any database URL of that server) and drops its database. */
export async function pgbenchBaseline(serverUrl: string, log: (line: string) => void = () => undefined): Promise<PgbenchBaseline> {
  const name = `pgbench_baseline_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    log(`pgbench baseline: -i -s ${BASELINE.scale}, then -c ${BASELINE.clients} -j ${BASELINE.threads} -T ${BASELINE.seconds} on ${u.host}...`);
    run(['-i', '-q', '-s', String(BASELINE.scale), u.toString()]);
    const out = run(['-c', String(BASELINE.clients), '-j', String(BASELINE.threads), '-T', String(BASELINE.seconds), u.toString()]);
    const tps = /tps = ([0-9.]+)/.exec(out);
    const latency = /latency average = ([0-9.]+) ms/.exec(out);
    if (!tps) throw new Error(`pgbench printed no tps: ${out.slice(-500)}`);
    const result = { pgbench_tps: Math.round(Number(tps[1])), pgbench_latency_ms: latency ? Number(latency[1]) : 0 };
    log(`pgbench baseline: ${result.pgbench_tps} tps, latency average ${result.pgbench_latency_ms} ms`);
    return result;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/**
 * The JSON line with the baseline's figures added: `pgbench_tps`, and per throughput field
 * (`*_per_s`) its ratio to pgbench's tps, per latency field (`*_ms`) its ratio to pgbench's
 * average latency, as `<field>_x_pgbench`. Without a baseline the line is unchanged.
 */
export function withBaseline<T extends Record<string, unknown>>(line: T, baseline: PgbenchBaseline | null): Record<string, unknown> {
  if (!baseline) return line;
  const out: Record<string, unknown> = { ...line, ...baseline };
  for (const [k, v] of Object.entries(line)) {
    if (typeof v !== 'number') continue;
    if (k.endsWith('_per_s') && baseline.pgbench_tps > 0) out[`${k}_x_pgbench`] = Math.round((v / baseline.pgbench_tps) * 100) / 100;
    else if (k.endsWith('_ms') && baseline.pgbench_latency_ms > 0) out[`${k}_x_pgbench`] = Math.round((v / baseline.pgbench_latency_ms) * 100) / 100;
  }
  return out;
}
