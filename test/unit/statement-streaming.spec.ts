import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openStatementStream } from '@modules/statements/parsers';
import { camtStatement } from '../support/statement-fixtures';

/**
 * Large files are read as streams: a ~50 MB MT940 and a ~50 MB camt.053, generated on the fly (never
 * a whole string), are parsed while the heap is sampled; its growth must stay far below the file.
 */

const TARGET = 50 * 1024 * 1024;
const PIECE = 256 * 1024;

/** A stream of `prefix`, then `item(i)` repeated until ~TARGET bytes, then `suffix`, in 256 KiB chunks. */
function generated(prefix: string, item: (i: number) => string, suffix: (items: number) => string): { stream: Readable; items: () => number; bytes: () => number } {
  let count = 0;
  let bytes = 0;
  function* chunks() {
    let piece = prefix;
    while (bytes + piece.length < TARGET) {
      piece += item(count++);
      if (piece.length >= PIECE) {
        bytes += piece.length;
        yield Buffer.from(piece);
        piece = '';
      }
    }
    const end = piece + suffix(count);
    bytes += end.length;
    yield Buffer.from(end);
  }
  return { stream: Readable.from(chunks()), items: () => count, bytes: () => bytes };
}

// Live heap, not garbage V8 has not collected yet: the measure forces a collection before each sample.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function measure(stream: Readable): Promise<{ entries: number; statements: number; credits: string[]; consistent: boolean[]; growth: number }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let entries = 0;
  const credits: string[] = [];
  const consistent: boolean[] = [];
  const { events } = await openStatementStream(stream);
  let batches = 0;
  for await (const batch of events) {
    for (const ev of batch) {
      if (ev.kind === 'entry') entries += 1;
      if (ev.kind === 'end') {
        credits.push(ev.summary.credits);
        consistent.push(ev.summary.consistent);
      }
    }
    if (++batches % 20 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  return { entries, statements: credits.length, credits, consistent, growth: peak - before };
}

const MB = 1024 * 1024;

describe('streaming statement files', () => {
  it('parses a ~50 MB MT940 of one statement without holding it in the heap', async () => {
    // One statement of many 1.00 credits, ~290 bytes each as in the betterplace file (multi-line :86:);
    // the closing balance comes after the entries, so it is written from their count.
    const e2e = (i: number) => `EM${String(i).padStart(14, '0')}`;
    const line = (i: number) =>
      `:61:2611221122C1,00NTRF${e2e(i)}//B${i}\n:86:166?00GUTSCHRIFT?100399?20EREF+${e2e(i)}?21SVWZ+RELEASE ${e2e(i)}\nMTLG:SEPA-Ueberweisungseingang Auftraggeber: Richter R?30PBNKDEFF100\n?31DE42100100100043921105?32Richter Renate 70 Zeichen Beginn Fuell\n`;
    const file = generated(':20:BIG\n:25:ESC-BIG\n:28C:1/1\n:60F:C261121CNY0,00\n', line, (n) => `:62F:C261122CNY${n},00\n-\n`);
    const r = await measure(file.stream);
    expect(file.bytes()).toBeGreaterThan(45 * MB);
    expect(r.entries).toBe(file.items());
    expect(r.credits).toEqual([`${file.items()}.00`]);
    expect(r.consistent).toEqual([true]);
    expect(r.growth).toBeLessThan(20 * MB);
  }, 30_000);

  it('parses a ~50 MB camt.053 of large statements cut per Stmt and Ntry without holding it in the heap', async () => {
    const per = 500;
    // Entries of ~1.5 kB, as banks write them (the PostFinance file has ~5 kB per entry): remittance text, parties.
    const padding = `<ns2:AddtlNtryInf>${'GUTSCHRIFT VON ZAHLUNGSPFLICHTIGER ABC &amp; CO. REF 2026-11 '.repeat(20)}</ns2:AddtlNtryInf></ns2:Ntry>`;
    const stmt = (i: number) =>
      camtStatement({ prefix: 'ns2', id: `S${i}`, account: `ESC-${i}`, opening: '0.00', closing: '1250.00', entries: Array.from({ length: per }, (_, j) => ({ amount: '2.50', dir: 'CRDT' as const, ref: `R${i}-${j}`, e2e: `EM${String(j).padStart(14, '0')}` })) }).replaceAll(
        '</ns2:Ntry>',
        padding,
      ) + '\n';
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n<ns2:Document xmlns:ns2="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><ns2:BkToCstmrStmt><ns2:GrpHdr><ns2:MsgId>BIG</ns2:MsgId></ns2:GrpHdr>\n';
    const file = generated(head, stmt, () => '</ns2:BkToCstmrStmt></ns2:Document>\n');
    const r = await measure(file.stream);
    expect(file.bytes()).toBeGreaterThan(45 * MB);
    expect(r.statements).toBe(file.items());
    expect(r.entries).toBe(file.items() * per);
    expect(new Set(r.credits)).toEqual(new Set(['1250.00']));
    expect(r.consistent.every(Boolean)).toBe(true);
    expect(r.growth).toBeLessThan(20 * MB);
  }, 30_000);
});
