import { Readable } from 'node:stream';
import { StatementEvent, StatementFormat } from '../statement.model';
import { parseCamt053 } from './camt053.parser';
import { parseCsv } from './csv.parser';
import { readLines } from './line-reader';
import { parseMt940 } from './mt940.parser';
import { StatementParseError } from './statement-parse-error';

export { StatementParseError } from './statement-parse-error';

/** How much of the file is looked at to tell the format. */
const SNIFF_BYTES = 8 * 1024;

/** The format of a file from its first bytes, or why it is none of ours. */
export function detectFormat(head: string): StatementFormat {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('<')) return 'camt053';
  if (/^"?record_type"?\s*,/i.test(text)) return 'csv';
  if (/(^|\n):20:/.test(text) || text.startsWith('{1:') || /\{4:\s*\r?\n?:20:/.test(text)) return 'mt940';
  if (text.includes('\u0000')) throw new StatementParseError('a binary file, not camt.053 XML, MT940 or the CSV layout', 'line 1');
  throw new StatementParseError('not a statement: expected camt.053 XML (<Document …camt.053…>), MT940 (a :20: field) or the CSV layout (header starting with record_type)', 'line 1');
}

export interface StatementStream {
  format: StatementFormat;
  /** The events in batches (those of one chunk of the file). */
  events: AsyncGenerator<StatementEvent[]>;
}

/**
 * Reads a statement file as a stream: looks at its first bytes to choose the format, then hands
 * the whole stream (those bytes included) to that format's parser, which yields each statement's
 * start, its entries one by one and its end (with the arithmetic check).
 */
export async function openStatementStream(source: Readable | AsyncIterable<Buffer | string>): Promise<StatementStream> {
  const it = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < SNIFF_BYTES) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    size += chunk.length;
  }
  if (size === 0) throw new StatementParseError('the file is empty', 'line 1');
  const format = detectFormat(Buffer.concat(head).subarray(0, SNIFF_BYTES).toString('utf8'));
  async function* all(): AsyncGenerator<Buffer | string> {
    yield* head;
    head.length = 0; // let the sniffed chunks go
    if (done) return;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  const events = format === 'camt053' ? parseCamt053(all()) : format === 'mt940' ? parseMt940(readLines(all())) : parseCsv(readLines(all()));
  return { format, events };
}

/** A whole file already in memory (an HTTP body) as a stream of 1 MiB pieces. */
export function bufferStream(body: Buffer, pieceBytes = 1024 * 1024): Readable {
  return Readable.from(
    (function* pieces() {
      for (let i = 0; i < body.length; i += pieceBytes) yield body.subarray(i, i + pieceBytes);
    })(),
  );
}
