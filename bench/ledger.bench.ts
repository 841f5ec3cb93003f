import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { Money } from '../src/common/money/money';
import { loadConfig } from '../src/config/load-config';
import { DatabaseUrl } from '../src/infra/database/database-url';
import { LedgerService, transfer } from '../src/modules/ledger/ledger.service';
import { benchDatabase, percentile, round } from './bench-support';

/**
 * npm run bench:ledger — 10,000 contract accounts, 16 concurrent writers calling
 * LedgerService.post (no HTTP), each transfer a release: contract held → institution
 * unsettled (2 postings). Shape "spread": the contract's own institution, 100 institutions.
 * Shape "hot": every transfer into one institution. Ends with one JSON line.
 */
const CONTRACTS = 10_000;
const INSTITUTIONS = 100;
const WRITERS = Number(process.env.BENCH_WRITERS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

async function main() {
  const db = await benchDatabase(process.env);
  const config = loadConfig({ DATABASE_URL: db.url, PROCESS_ROLE: 'api', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '24', DOCS_ENABLED: 'false' });
  const app = await NestFactory.createApplicationContext(AppModule.register(config, new DatabaseUrl(db.url, false)), { logger: ['error'] });
  const ds = app.get<DataSource>(getDataSourceToken());
  const ledger = app.get(LedgerService);
  try {
    process.stdout.write(`bench:ledger on ${db.where}: seeding ${CONTRACTS} contracts in ${INSTITUTIONS} institutions + 1 hot institution...\n`);
    const escrowAccountId = randomUUID();
    const [bankCash] = await ledger.openAccounts(ds.manager, [{ type: 'bank_cash', escrowAccountId }]);
    const institutions = Array.from({ length: INSTITUTIONS }, () => randomUUID());
    const unsettled = await ledger.openAccounts(ds.manager, institutions.map((institutionId) => ({ type: 'institution_unsettled' as const, institutionId })));
    const unsettledOf = new Map(unsettled.map((a) => [a.institution_id!, a.id]));
    const [hot] = await ledger.openAccounts(ds.manager, [{ type: 'institution_unsettled', institutionId: randomUUID() }]);
    const contracts: { held: string; unsettled: string }[] = [];
    for (let i = 0; i < CONTRACTS; i += 1000) {
      const specs = Array.from({ length: 1000 }, (_, j) => ({
        type: 'contract_held' as const,
        contractId: randomUUID(),
        institutionId: institutions[(i + j) % INSTITUTIONS],
        escrowAccountId,
      }));
      const rows = await ledger.openAccounts(ds.manager, specs);
      for (const r of rows) contracts.push({ held: r.id, unsettled: unsettledOf.get(r.institution_id!)! });
    }
    const seedAmount = Money.parse('100000.00');
    await Promise.all(contracts.map((c) => ledger.post({ type: 'funding', postings: transfer(bankCash.id, c.held, seedAmount) })));
    await ds.query('VACUUM ANALYZE');

    const results: Record<string, { perSecond: number; p50: number; p99: number }> = {};
    for (const shape of ['spread', 'hot'] as const) {
      const latencies: number[] = [];
      let done = 0;
      let failed = 0;
      const deadline = Date.now() + SECONDS * 1000;
      const started = process.hrtime.bigint();
      const writer = async () => {
        while (Date.now() < deadline) {
          const c = contracts[Math.floor(Math.random() * contracts.length)];
          const amount = Money.fromMinor(BigInt(1 + Math.floor(Math.random() * 100)));
          const t0 = process.hrtime.bigint();
          try {
            await ledger.post({ type: 'release', postings: transfer(c.held, shape === 'hot' ? hot.id : c.unsettled, amount) });
            done += 1;
          } catch {
            failed += 1;
          }
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      latencies.sort((a, b) => a - b);
      results[shape] = { perSecond: done / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
      process.stdout.write(
        `${shape.padEnd(6)} ${WRITERS} writers, ${round(seconds)} s: ${done} transfers (${done * 2} postings), ${failed} failed | ` +
          `${Math.round(done / seconds)} transfers/s = ${Math.round((done * 2) / seconds)} postings/s | p50 ${round(results[shape].p50, 2)} ms, p99 ${round(results[shape].p99, 2)} ms\n`,
      );
    }
    const check = await ds.query(`SELECT count(*)::int AS n FROM (SELECT transaction_id FROM ledger_postings GROUP BY transaction_id HAVING sum(amount) <> 0) x`);
    const hotBalance = await ledger.balance(hot);
    const hotSum = await ds.query(`SELECT (-sum(amount))::text AS s FROM ledger_postings WHERE account_id = $1`, [hot.id]);
    process.stdout.write(`checks: unbalanced transactions ${check[0].n}; hot account balance ${hotBalance} = sum of its postings ${hotSum[0].s}: ${hotBalance.toString() === hotSum[0].s}\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'ledger',
        spread_per_s: Math.round(results.spread.perSecond),
        hot_per_s: Math.round(results.hot.perSecond),
        p99_ms: round(Math.max(results.spread.p99, results.hot.p99), 2),
      })}\n`,
    );
  } finally {
    await app.close();
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
