import { StringDecoder } from 'node:string_decoder';
import { StatementParseError } from './statement-parse-error';

export interface Line {
  /** 1-based. */
  no: number;
  text: string;
}

/** No statement format has lines this long: a file without line breaks is refused, not buffered whole. */
const MAX_LINE = 64 * 1024;

/**
 * Lines of a byte stream (LF or CRLF), decoded as UTF-8 across chunk boundaries, in batches (the
 * lines of one chunk; one await per chunk, not per line): memory stays at about one chunk whatever
 * the file's size. A leading BOM is dropped.
 */
export async function* readLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Line[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let no = 0;
  let first = true;
  const emit = (raw: string): Line => {
    no += 1;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (first) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    // PostgreSQL cannot store NUL in text; no statement format has one.
    if (text.includes('\u0000')) throw new StatementParseError('the line contains a NUL character', `line ${no}`);
    return { no, text };
  };
  for await (const chunk of chunks) {
    rest += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let from = 0;
    const batch: Line[] = [];
    for (let nl = rest.indexOf('\n', from); nl >= 0; nl = rest.indexOf('\n', from)) {
      batch.push(emit(rest.slice(from, nl)));
      from = nl + 1;
    }
    rest = rest.slice(from);
    if (batch.length) yield batch;
    if (rest.length > MAX_LINE) throw new StatementParseError(`a line is longer than ${MAX_LINE} characters`, `line ${no + 1}`);
  }
  rest += decoder.end();
  if (rest.length > 0) yield [emit(rest)];
}
