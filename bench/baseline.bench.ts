import 'reflect-metadata';
import { benchDatabase } from './bench-support';
import { BASELINE, pgbenchBaseline } from './pgbench-baseline';

/**
 * npm run bench:baseline — pgbench's TPC-B-like baseline (scale 10, 16 clients, 2 threads, 10 s)
 * on the server the benchmarks use (BENCH_DATABASE_URL / TEST_DATABASE_URL, else an embedded
 * PostgreSQL). Every other benchmark runs it too with `-- --baseline` (or BENCH_BASELINE=1) and
 * prints its figures as ratios to it. Ends with one JSON line.
 */
async function main(): Promise<void> {
  const db = await benchDatabase(process.env);
  try {
    const b = await pgbenchBaseline(db.serverUrl, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${JSON.stringify({ bench: 'baseline', scale: BASELINE.scale, clients: BASELINE.clients, seconds: BASELINE.seconds, ...b })}\n`);
  } finally {
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
