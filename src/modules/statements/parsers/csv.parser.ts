import { amountOf, Balance, dayOf, Direction, StatementEvent, StatementHeader, StatementTotals } from '../statement.model';
import { Line } from './line-reader';
import { StatementParseError } from './statement-parse-error';

/**
 * The platform's CSV statement layout (documented in the README, "Bank statements"): a header row
 * naming the columns, then per statement one `OPBD` row (opening balance), one `NTRY` row per
 * entry and one `CLBD` row (closing balance); several statements may follow each other. Fields
 * are comma-separated, optionally in double quotes (`""` for a quote); one record per line.
 * Amounts are unsigned decimals with a point; `direction` is CRDT or DBIT.
 */
export const CSV_REQUIRED = ['record_type', 'statement_id', 'account', 'currency', 'date', 'amount', 'direction'] as const;
export const CSV_OPTIONAL = ['sequence', 'reversal', 'value_date', 'bank_ref', 'customer_ref', 'end_to_end_id', 'details'] as const;
type Column = (typeof CSV_REQUIRED)[number] | (typeof CSV_OPTIONAL)[number];

/** Splits one CSV record (RFC 4180 quoting, no line breaks inside fields). */
export function splitCsv(line: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new StatementParseError('unterminated quoted field', where);
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i < line.length && line[i] !== ',') throw new StatementParseError('text after a closing quote', where);
    } else {
      const c = line.indexOf(',', i);
      out.push(line.slice(i, c < 0 ? line.length : c));
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) return out;
    i += 1; // the comma
    if (i === line.length) {
      out.push('');
      return out;
    }
  }
}

export async function* parseCsv(batches: AsyncIterable<Line[]>): AsyncGenerator<StatementEvent[]> {
  let columns: Column[] | null = null;
  let totals: StatementTotals | null = null;
  let position = 0;
  let at = '';
  for await (const lines of batches) {
    const out: StatementEvent[] = [];
    for (const { no, text } of lines) {
      if (text.trim() === '') continue;
      const where = `line ${no}`;
      const cells = splitCsv(text, where);
      if (!columns) {
        const names = cells.map((c) => c.trim().toLowerCase());
        const unknown = names.filter((n) => !(CSV_REQUIRED as readonly string[]).includes(n) && !(CSV_OPTIONAL as readonly string[]).includes(n));
        const missing = CSV_REQUIRED.filter((n) => !names.includes(n));
        if (unknown.length || missing.length || new Set(names).size !== names.length) {
          throw new StatementParseError(`bad CSV header (missing: ${missing.join(', ') || 'none'}; unknown: ${unknown.join(', ') || 'none'}; each column once)`, where);
        }
        columns = names as Column[];
        continue;
      }
      if (cells.length !== columns.length) throw new StatementParseError(`${cells.length} fields where the header has ${columns.length}`, where);
      const row = Object.fromEntries(columns.map((c, i) => [c, cells[i].trim()])) as Record<Column, string | undefined>;
      const get = (c: Column): string | null => row[c] || null;
      const need = (c: Column): string => {
        const v = get(c);
        if (!v) throw new StatementParseError(`${c} is required on a ${row.record_type} row`, where);
        return v;
      };
      const day = (c: Column): string | null => {
        const v = get(c);
        return v === null ? null : dayOf(v, `${where} (${c})`);
      };
      const dir = (): Direction => {
        const d = need('direction');
        if (d !== 'CRDT' && d !== 'DBIT') throw new StatementParseError(`direction must be CRDT or DBIT, not ${d.slice(0, 10)}`, where);
        return d;
      };
      const balance = (currency: string): Balance => ({ amount: amountOf(need('amount'), currency, where), direction: dir(), date: day('date') });
      const same = (c: 'account' | 'currency' | 'statement_id', value: string) => {
        if (get(c) && get(c) !== value) throw new StatementParseError(`${c} ${get(c)} differs from the statement's ${value}`, where);
      };
      switch (row.record_type) {
        case 'OPBD': {
          if (totals) throw new StatementParseError(`the statement starting at ${at} has no CLBD row`, where);
          const currency = need('currency');
          at = where;
          const sequence = get('sequence');
          const header: StatementHeader = {
            format: 'csv',
            version: null,
            position: ++position,
            reference: need('statement_id'),
            accountNumber: need('account'),
            currency,
            sequence,
            page: Number(/\/(\d{1,6})$/.exec(sequence ?? '')?.[1] ?? '1'),
            opening: balance(currency),
            closing: null,
            at: where,
          };
          totals = new StatementTotals(header);
          out.push({ kind: 'start', header });
          break;
        }
        case 'NTRY': {
          if (!totals) throw new StatementParseError('NTRY row outside a statement (no OPBD row before it)', where);
          const h = totals.header;
          same('account', h.accountNumber);
          same('currency', h.currency);
          same('statement_id', h.reference);
          const reversal = get('reversal') ?? 'false';
          if (reversal !== 'true' && reversal !== 'false') throw new StatementParseError('reversal must be true or false', where);
          const booking = day('date');
          const entry = {
            line: totals.entries + 1,
            amount: amountOf(need('amount'), h.currency, where),
            direction: dir(),
            reversal: reversal === 'true',
            status: 'BOOK',
            bookingDate: booking,
            valueDate: day('value_date') ?? booking,
            bankReference: get('bank_ref'),
            customerReference: get('customer_ref'),
            endToEndId: get('end_to_end_id'),
            transactionId: null,
            transactionCode: null,
            details: get('details'),
            transactions: [],
          };
          totals.add(entry);
          out.push({ kind: 'entry', entry });
          break;
        }
        case 'CLBD': {
          if (!totals) throw new StatementParseError('CLBD row outside a statement (no OPBD row before it)', where);
          same('account', totals.header.accountNumber);
          same('currency', totals.header.currency);
          same('statement_id', totals.header.reference);
          out.push({ kind: 'end', summary: totals.finish(balance(totals.header.currency), null, at) });
          totals = null;
          break;
        }
        default:
          throw new StatementParseError(`record_type must be OPBD, NTRY or CLBD, not "${String(row.record_type).slice(0, 10)}"`, where);
      }
    }
    if (out.length) yield out;
  }
  if (totals) throw new StatementParseError(`the statement starting at ${at} has no CLBD row`, 'end of file');
  if (!columns) throw new StatementParseError('empty CSV file', 'line 1');
  if (position === 0) throw new StatementParseError('no statement (OPBD ... CLBD rows) in the file', 'end of file');
}
