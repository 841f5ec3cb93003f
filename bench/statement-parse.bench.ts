import { openStatementStream, bufferStream } from '../src/modules/statements/parsers';
import { round } from './bench-support';
import { camtFile, mt940File } from './reconcile-files';
import type { StatementData } from './reconcile-seed';

/**
 * node dist/bench/statement-parse.bench.js [--lines 100000] [--rounds 3] [--only camt053|mt940] — the statement parsers
 * alone (no database): µs per entry for a generated camt.053 and MT940 file of 100 statements,
 * as bench:reconcile writes them. The best of the rounds is printed (the machine is shared).
 */
function statements(lines: number, accounts = 100): StatementData[] {
  const per = Math.ceil(lines / accounts);
  return Array.from({ length: accounts }, (_, a) => {
    const out: StatementData = { k: a + 1, accountNumber: `BENCH-ACC-${String(a + 1).padStart(6, '0')}`, opening: '0.00', closing: '0.00', lines: [] };
    let cents = 0n;
    for (let i = 0; i < per; i++) {
      const credit = i % 3 !== 2;
      const amount = BigInt(1000 + ((a * 7919 + i * 104729) % 900000));
      cents += credit ? amount : -amount;
      const ref = `BTX${a + 1}-${i + 1}`;
      out.lines.push({ line: i + 1, direction: credit ? 'CRDT' : 'DBIT', amount: `${amount / 100n}.${String(amount % 100n).padStart(2, '0')}`, ref, e2e: credit ? null : `EM${String(a * per + i).padStart(14, '0')}` });
    }
    const abs = cents < 0n ? -cents : cents;
    // The opening balance makes the closing one non-negative (CRDT).
    const opening = cents < 0n ? abs : 0n;
    const closing = opening + cents;
    out.opening = `${opening / 100n}.${String(opening % 100n).padStart(2, '0')}`;
    out.closing = `${closing / 100n}.${String(closing % 100n).padStart(2, '0')}`;
    return out;
  });
}

async function parseAll(body: Buffer): Promise<number> {
  const { events } = await openStatementStream(bufferStream(body));
  let entries = 0;
  for await (const batch of events) {
    for (const e of batch) {
      if (e.kind === 'entry') entries++;
      else if (e.kind === 'end' && !e.summary.consistent) throw new Error('a generated statement does not add up');
    }
  }
  return entries;
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const lines = arg('--lines', 100_000);
  const rounds = arg('--rounds', 3);
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  const data = statements(lines);
  const ctx = { day: '2026-11-30', fileNo: 1 };
  const results: Record<string, { us_per_entry: number; mb: number }> = {};
  for (const format of ['camt053', 'mt940'] as const) {
    if (only && only !== format) continue;
    const text = format === 'camt053' ? camtFile(data, ctx) : mt940File(data, ctx);
    const body = Buffer.from(text);
    let best = Infinity;
    let n = 0;
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      n = await parseAll(body);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3);
    }
    results[format] = { us_per_entry: round(best / n, 2), mb: round(body.length / 1e6, 1) };
    console.log(`${format}: ${n} entries, ${results[format].mb} MB, best of ${rounds}: ${round(best / 1e6, 2)} s, ${results[format].us_per_entry} µs/entry`);
  }
  console.log(JSON.stringify({ bench: 'statement-parse', lines, camt053_us_per_entry: results.camt053?.us_per_entry ?? null, mt940_us_per_entry: results.mt940?.us_per_entry ?? null }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
