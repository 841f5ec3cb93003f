import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { amountOf, Balance, dayOf, Direction, StatementEntry, StatementEvent, StatementHeader, StatementTotals, TransactionDetail } from '../statement.model';
import { StatementParseError } from './statement-parse-error';
import { splitCamt } from './xml-splitter';
import { readXmlPiece } from './xml-piece-reader';

/**
 * ISO 20022 camt.053 (.001.02 to .001.08). The file is cut per statement head and per entry by
 * `splitCamt` and each piece parsed by fast-xml-parser 5 (namespace prefixes removed, tag values
 * kept as strings so amounts never pass through a JS number, arrays forced for the repeating
 * elements), or, when the piece has the plain common shape, by xml-piece-reader.ts, which builds
 * the same object several times faster. The mapping to the statement model is ours: the status
 * is read both as text (.02-.03) and as `Sts/Cd` (.04+), dates from `Dt` or `DtTm`, the opening balance from OPBD (else PRCD,
 * else the first ITBD) and the closing from CLBD (else the last ITBD). The sign of an entry is its
 * `CdtDbtInd` (a reversal, `RvslInd` true, is booked with the opposite indicator already).
 */

export const CAMT_VERSIONS = ['02', '03', '04', '05', '06', '07', '08'];

export const CAMT_ARRAYS: ReadonlySet<string> = new Set(['Stmt', 'Bal', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'AddtlNtryInf', 'AddtlStmtInf']);
const OPTIONS = { parseTagValue: false, ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: false, isArray: (name: string) => CAMT_ARRAYS.has(name) };
/**
 * Two parsers because `removeNSPrefix` (and entity processing) made parsing an entry three times
 * slower: the statement's own prefix is cut from the piece's tags as text first, and only a piece
 * that still has a prefixed tag goes through `removeNSPrefix`. Entities are decoded by `text()`
 * (a DOCTYPE is refused, so only the five XML entities and character references exist).
 */
const plainXml = new XMLParser(OPTIONS);
const prefixedXml = new XMLParser({ ...OPTIONS, removeNSPrefix: true });

type Node = Record<string, unknown>;

/**
 * A piece as an object: the strict fast reader for the common shape, else fast-xml-parser (which
 * reads everything else, or says where the piece is malformed). Both build the same object.
 */
function parsePiece(piece: string, where: string, line: number, prefix: string): Node {
  if (piece.includes('\u0000')) throw new StatementParseError('a NUL character in the XML', `${where} (line ${line})`);
  return readXmlPiece(piece, prefix, CAMT_ARRAYS) ?? parsePieceWithFxp(piece, where, line, prefix);
}

/** Validates and parses a piece with fast-xml-parser (exported for the test comparing it with the fast reader). */
export function parsePieceWithFxp(piece: string, where: string, line: number, prefix: string): Node {
  const ok = XMLValidator.validate(piece);
  if (ok !== true) throw new StatementParseError(`malformed XML: ${ok.err.msg}`, `${where} (line ${line + ok.err.line - 1})`);
  const bare = prefix ? piece.replaceAll(`<${prefix}`, '<').replaceAll(`</${prefix}`, '</') : piece;
  return (/<\/?[\w.-]+:/.test(bare) ? prefixedXml : plainXml).parse(bare) as Node;
}

/** NUL and code points beyond Unicode cannot be stored (PostgreSQL text): shown as U+FFFD. */
const codePoint = (n: number): string => (n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '\uFFFD');
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string): string =>
  s.includes('&')
    ? s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (_, e: string) =>
        e[0] === '#' ? codePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e],
      )
    : s;

const obj = (v: unknown): Node | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v.map((x) => obj(x) ?? { '#text': x }) : []);
/** The text of an element (with or without attributes); undefined when absent or empty. */
function text(v: unknown): string | undefined {
  const s = typeof v === 'string' ? v : typeof obj(v)?.['#text'] === 'string' ? (obj(v)!['#text'] as string) : undefined;
  return s === undefined ? undefined : decode(s.trim()) || undefined;
}
const texts = (v: unknown): string | null => (Array.isArray(v) ? v.map(text).filter(Boolean).join('\n') || null : (text(v) ?? null));

function direction(v: unknown, where: string): Direction {
  const d = text(v);
  if (d !== 'CRDT' && d !== 'DBIT') throw new StatementParseError(`CdtDbtInd must be CRDT or DBIT, not ${d ?? 'missing'}`, `${where}/CdtDbtInd`);
  return d;
}

function date(v: unknown, where: string): string | null {
  const n = obj(v);
  const raw = text(n?.Dt) ?? text(n?.DtTm);
  if (raw === undefined) return null;
  return dayOf(raw.slice(0, 10), where);
}

function amount(v: unknown, currency: string, where: string): string {
  const raw = text(v);
  if (raw === undefined) throw new StatementParseError('amount missing', `${where}/Amt`);
  const ccy = obj(v)?.['@_Ccy'];
  if (ccy !== currency) throw new StatementParseError(`amount in ${String(ccy ?? 'no currency')} in a statement in ${currency}`, `${where}/Amt`);
  return amountOf(raw, currency, `${where}/Amt`);
}

function balances(stmt: Node, where: string): { opening: Balance; closing: Balance | null; currency: string } {
  const bals = list(stmt.Bal).map((b, i) => ({ b, type: text(obj(obj(b.Tp)?.CdOrPrtry)?.Cd) ?? text(obj(obj(b.Tp)?.CdOrPrtry)?.Prtry), at: `${where}/Bal[${i + 1}]` }));
  const currency = text(obj(stmt.Acct)?.Ccy) ?? (obj(bals[0]?.b.Amt)?.['@_Ccy'] as string | undefined);
  if (!currency) throw new StatementParseError('no currency (Acct/Ccy or Bal/Amt@Ccy)', where);
  const toBalance = (x: (typeof bals)[number]): Balance => ({ amount: amount(x.b.Amt, currency, x.at), direction: direction(x.b.CdtDbtInd, x.at), date: date(x.b.Dt, x.at) });
  const interim = bals.filter((x) => x.type === 'ITBD');
  const open = bals.find((x) => x.type === 'OPBD') ?? bals.find((x) => x.type === 'PRCD') ?? interim[0];
  const close = bals.find((x) => x.type === 'CLBD') ?? (interim.length > 1 || (interim.length === 1 && open !== interim[0]) ? interim[interim.length - 1] : undefined);
  if (!open) throw new StatementParseError('no opening balance (Bal with Tp/CdOrPrtry/Cd OPBD, PRCD or ITBD)', `${where}/Bal`);
  return { opening: toBalance(open), closing: close ? toBalance(close) : null, currency };
}

function transactionDetail(tx: Node, where: string): TransactionDetail {
  const refs = obj(tx.Refs);
  const amt = tx.Amt ?? obj(obj(tx.AmtDtls)?.TxAmt)?.Amt;
  const raw = text(amt);
  const currency = obj(amt)?.['@_Ccy'];
  const e2e = text(refs?.EndToEndId);
  return {
    amount: raw === undefined || typeof currency !== 'string' ? null : amountOf(raw, currency, `${where}/Amt`),
    currency: typeof currency === 'string' ? currency : null,
    direction: tx.CdtDbtInd === undefined ? null : direction(tx.CdtDbtInd, where),
    bankReference: text(refs?.AcctSvcrRef) ?? null,
    endToEndId: e2e && e2e !== 'NOTPROVIDED' ? e2e : null,
    transactionId: text(refs?.TxId) ?? null,
    details: texts(obj(tx.RmtInf)?.Ustrd) ?? text(tx.AddtlTxInf) ?? null,
  };
}

function entry(n: Node, currency: string, line: number, where: string): StatementEntry {
  const sts = text(n.Sts) ?? text(obj(n.Sts)?.Cd) ?? text(obj(n.Sts)?.Prtry);
  if (!sts) throw new StatementParseError('entry without status (Sts or Sts/Cd)', `${where}/Sts`);
  const rvsl = text(n.RvslInd);
  const code = obj(n.BkTxCd);
  const domain = obj(code?.Domn);
  const family = obj(domain?.Fmly);
  const transactions = list(n.NtryDtls).flatMap((d, i) => list(d.TxDtls).map((tx, j) => transactionDetail(tx, `${where}/NtryDtls[${i + 1}]/TxDtls[${j + 1}]`)));
  const single = transactions.length === 1 ? transactions[0] : null;
  return {
    line,
    amount: amount(n.Amt, currency, where),
    direction: direction(n.CdtDbtInd, where),
    reversal: rvsl === 'true' || rvsl === '1',
    status: sts,
    bookingDate: date(n.BookgDt, `${where}/BookgDt`),
    valueDate: date(n.ValDt, `${where}/ValDt`),
    bankReference: text(n.AcctSvcrRef) ?? single?.bankReference ?? null,
    customerReference: text(n.NtryRef) ?? null,
    endToEndId: single?.endToEndId ?? null,
    transactionId: single?.transactionId ?? null,
    transactionCode: domain ? [text(domain.Cd), text(family?.Cd), text(family?.SubFmlyCd)].filter(Boolean).join('/') : (text(obj(code?.Prtry)?.Cd) ?? null),
    details: texts(n.AddtlNtryInf) ?? single?.details ?? null,
    transactions,
  };
}

const child = (doc: Node, name: string): Node => obj(list(doc[name])[0]) ?? {};

export async function* parseCamt053(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<StatementEvent[]> {
  let version: string | null = null;
  let page = 1;
  let stmtPrefix = '';
  let totals: StatementTotals | null = null;
  let header: StatementHeader | null = null;
  for await (const pieces of splitCamt(chunks)) {
    const out: StatementEvent[] = [];
    for (const piece of pieces) {
      if (piece.kind === 'prolog') {
        if (/<!DOCTYPE|<!ENTITY/i.test(piece.xml)) throw new StatementParseError('a DOCTYPE or entity declaration is not allowed', 'prolog');
        const ns = /urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})/.exec(piece.xml);
        if (!ns) throw new StatementParseError('not a camt.053 document (no urn:iso:std:iso:20022:tech:xsd:camt.053.001.xx namespace)', 'Document');
        if (!CAMT_VERSIONS.includes(ns[1])) throw new StatementParseError(`camt.053.001.${ns[1]} is not supported (supported: .001.02 to .001.08)`, 'Document');
        version = `053.001.${ns[1]}`;
        page = Number(/<(?:[\w.-]+:)?PgNb>\s*(\d{1,6})\s*</.exec(piece.xml)?.[1] ?? '1');
        continue;
      }
      const where = `Stmt[${piece.stmt}]`;
      if (piece.kind === 'stmt-head') {
        stmtPrefix = /^<([\w.-]+:)?/.exec(piece.xml)?.[1] ?? '';
        const stmt = child(parsePiece(`${piece.xml}</${stmtPrefix}Stmt>`, where, piece.line, stmtPrefix), 'Stmt');
        const acctId = obj(obj(stmt.Acct)?.Id);
        const account = text(acctId?.IBAN) ?? text(obj(acctId?.Othr)?.Id);
        if (!account) throw new StatementParseError('no account (Acct/Id/IBAN or Acct/Id/Othr/Id)', `${where}/Acct (line ${piece.line})`);
        const reference = text(stmt.Id);
        if (!reference) throw new StatementParseError('no statement Id', `${where}/Id (line ${piece.line})`);
        const { opening, closing, currency } = balances(stmt, where);
        header = {
          format: 'camt053',
          version,
          position: piece.stmt,
          reference,
          accountNumber: account,
          currency,
          sequence: text(stmt.ElctrncSeqNb) ?? text(stmt.LglSeqNb) ?? null,
          page,
          opening,
          closing,
          at: `${where} (line ${piece.line})`,
        };
        totals = new StatementTotals(header);
        out.push({ kind: 'start', header });
      } else if (piece.kind === 'ntry') {
        const at = `${where}/Ntry[${piece.ntry}]`;
        const n = child(parsePiece(piece.xml, at, piece.line, stmtPrefix), 'Ntry');
        const e = entry(n, header!.currency, piece.ntry, `${at} (line ${piece.line})`);
        totals!.add(e);
        out.push({ kind: 'entry', entry: e });
      } else {
        const tail = child(parsePiece(`<${stmtPrefix}Stmt>${piece.xml}`, where, piece.line, stmtPrefix), 'Stmt');
        if (!header!.closing) throw new StatementParseError('no closing balance (Bal with Tp/CdOrPrtry/Cd CLBD or ITBD)', `${where}/Bal`);
        out.push({ kind: 'end', summary: totals!.finish(header!.closing, texts(tail.AddtlStmtInf), where) });
        header = null;
        totals = null;
      }
    }
    if (out.length) yield out;
  }
}
