import { StringDecoder } from 'node:string_decoder';
import { StatementParseError } from './statement-parse-error';

/**
 * Cuts a camt.053 byte stream into pieces small enough to parse one at a time, so a 200 MB file
 * never sits whole in the heap: the prolog (everything before the first `<Stmt>`: namespace,
 * group header), then per statement its head (from `<Stmt>` to the first `<Ntry>`: account,
 * balances), each `<Ntry>…</Ntry>`, and its tail (after the last entry). Namespace prefixes are
 * kept (`<ns2:Stmt>`); the closing tags are searched with the prefix of the opening one.
 */
export type XmlPiece =
  | { kind: 'prolog'; xml: string }
  | { kind: 'stmt-head'; xml: string; line: number; stmt: number }
  | { kind: 'ntry'; xml: string; line: number; stmt: number; ntry: number }
  | { kind: 'stmt-tail'; xml: string; line: number; stmt: number };

const STMT_OPEN = /<([A-Za-z_][\w.-]*:)?Stmt[\s>]/;
/** No single piece of a statement is this large; a file that makes one is refused, not buffered. */
const MAX_PIECE = 16 * 1024 * 1024;

export async function* splitCamt(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<XmlPiece[]> {
  const decoder = new StringDecoder('utf8');
  let buf = '';
  let line = 1; // line number of buf[0]
  let state: 'prolog' | 'head' | 'entries' | 'between' = 'prolog';
  let prefix = '';
  let stmt = 0;
  let ntry = 0;
  let scanFrom = 0;

  /** Drops buf[0, end) and advances the line counter over it. */
  const consume = (end: number): string => {
    const taken = buf.slice(0, end);
    for (let i = taken.indexOf('\n'); i >= 0; i = taken.indexOf('\n', i + 1)) line += 1;
    buf = buf.slice(end);
    scanFrom = 0;
    return taken;
  };
  /** First `<tag` followed by space, `>` or `/` at or after `from`, with the statement's prefix. */
  const findOpen = (name: string, from: number): number => {
    const tag = `<${prefix}${name}`;
    for (let i = buf.indexOf(tag, from); i >= 0; i = buf.indexOf(tag, i + 1)) {
      const next = buf[i + tag.length];
      if (next === undefined) return -1; // undecided until more arrives
      if (next === '>' || next === ' ' || next === '\n' || next === '\r' || next === '\t') return i;
    }
    return -1;
  };

  /** Cuts every complete piece out of buf (the pieces of one chunk: one await per chunk, not per entry). */
  function drain(out: XmlPiece[]): XmlPiece[] {
    for (;;) {
      const where = (): string => (stmt ? `Stmt[${stmt}]${state === 'entries' ? `/Ntry[${ntry + 1}]` : ''} (line ${line})` : `line ${line}`);
      if (state === 'prolog' || state === 'between') {
        const m = STMT_OPEN.exec(buf);
        if (!m) {
          if (state === 'prolog' && buf.length > 1024 * 1024) throw new StatementParseError('no <Stmt> in the first MiB of the file', 'line 1');
          if (state === 'between' && buf.length > 1024 * 1024) consume(buf.length - 64);
          return out;
        }
        if (state === 'prolog') out.push({ kind: 'prolog', xml: buf.slice(0, m.index) });
        prefix = m[1] ?? '';
        consume(m.index);
        stmt += 1;
        ntry = 0;
        state = 'head';
        continue;
      }
      const close = `</${prefix}Stmt>`;
      const openNtry = findOpen('Ntry', scanFrom);
      // Only the text before the next entry can hold the statement's end: searching the whole
      // buffer for it before every entry would make a large statement quadratic.
      const closeStmt = openNtry >= 0 ? buf.slice(0, openNtry).indexOf(close) : buf.indexOf(close, scanFrom);
      if (state === 'head') {
        const end = [openNtry, closeStmt].filter((i) => i >= 0).sort((a, b) => a - b)[0];
        if (end === undefined) {
          scanFrom = Math.max(0, buf.length - close.length - prefix.length - 8);
          if (buf.length > MAX_PIECE) throw new StatementParseError(`the start of a statement is larger than ${MAX_PIECE} bytes`, where());
          return out;
        }
        const startLine = line;
        out.push({ kind: 'stmt-head', xml: consume(end), line: startLine, stmt });
        state = 'entries';
        continue;
      }
      // state === 'entries': buf starts at an <Ntry> or at </Stmt> (or text between them)
      const ntryClose = `</${prefix}Ntry>`;
      if (openNtry >= 0 && (closeStmt < 0 || openNtry < closeStmt)) {
        const endNtry = buf.indexOf(ntryClose, openNtry);
        if (endNtry < 0) {
          scanFrom = openNtry;
          if (buf.length > MAX_PIECE) throw new StatementParseError(`an entry is larger than ${MAX_PIECE} bytes`, where());
          return out;
        }
        consume(openNtry);
        const startLine = line;
        ntry += 1;
        out.push({ kind: 'ntry', xml: consume(endNtry - openNtry + ntryClose.length), line: startLine, stmt, ntry });
        continue;
      }
      if (closeStmt >= 0) {
        const startLine = line;
        out.push({ kind: 'stmt-tail', xml: consume(closeStmt + close.length), line: startLine, stmt });
        state = 'between';
        continue;
      }
      scanFrom = Math.max(0, buf.length - close.length - 8);
      if (buf.length > MAX_PIECE) throw new StatementParseError(`text between entries is larger than ${MAX_PIECE} bytes`, where());
      return out;
    }
  }

  for await (const chunk of chunks) {
    buf += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const pieces = drain([]);
    if (pieces.length) yield pieces;
  }
  buf += decoder.end();
  const last = drain([]);
  if (last.length) yield last;
  if (state === 'prolog') throw new StatementParseError('the file holds no <Stmt> element', 'end of file');
  if (state !== 'between') throw new StatementParseError(`the file ends inside Stmt[${stmt}]`, `end of file (line ${line})`);
}
