import type { ExpectedLine } from '@common/money/expected-line';

/**
 * The matching rules of reconciliation (RECON-SPEC step 5), pure: bank lines of a statement against
 * the platform's expected lines of the window, in memory with Maps (no per-line round trips).
 * Amounts are BigInt minor units (numeric(18,2) text × 100): exact, and cheap for a million lines.
 *
 *   pass 1, every booked line in order: a batch (transaction details naming ≥ 2 records) → one group
 *           of several parts; else by reference (same direction): equal amount → match, unequal →
 *           match with a difference; a reference to a record already matched → duplicate at bank.
 *   pass 2, the lines left (not reversals): exact amount + direction within W working days of the
 *           line's date, when exactly one record fits; else missing in ledger.
 * Reference matching runs first for all lines, so an unreferenced line never takes by amount the
 * record a later line names by reference.
 */

export type Direction = 'CRDT' | 'DBIT';

export interface BankLine {
  statementId: string;
  line: number;
  /** The statement's business day (matches are dated by it). */
  statementDate: string;
  direction: Direction;
  /** Unsigned minor units. */
  amount: bigint;
  /** value date ?? booking date ?? statement date. */
  date: string;
  reversal: boolean;
  /** Entry-level references (transaction id, bank and customer references, end-to-end id), normalised. */
  refs: string[];
  /** References of each transaction detail (camt `TxDtls`), normalised. */
  detailRefs: string[][];
  /** The line's reference as written (for people: exceptions show it). */
  reference: string | null;
  /** An earlier line tried again: the id of its open MISSING_IN_LEDGER exception. */
  retryOf?: string;
}

export interface Candidate {
  expected: ExpectedLine;
  /** Unsigned minor units. */
  amount: bigint;
  /** Actively matched before this run: not available, but a line naming it is a duplicate. */
  matched: boolean;
}

export type LineOutcome =
  | { kind: 'match'; line: BankLine; records: Candidate[]; method: 'reference' | 'batch' | 'amount_date'; difference: bigint }
  | { kind: 'duplicate'; line: BankLine; record: Candidate }
  | { kind: 'missing'; line: BankLine; reason: 'no_candidate' | 'ambiguous' | 'reversal'; candidates: number; reverses: Candidate | null };

export interface MatchResult {
  outcomes: LineOutcome[];
  /** Available candidates no line took. */
  unmatched: Candidate[];
}

/** Placeholders banks write where a reference is not given. */
const NO_REFERENCE = new Set(['', 'NONREF', 'NOTPROVIDED', 'NONE', 'N/A']);

export function normaliseRef(ref: string | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  const r = ref.trim().toUpperCase();
  return NO_REFERENCE.has(r) ? null : r;
}

/** numeric(18,2) text (or a Money string) → signed minor units. */
export function toMinor(amount: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!m) throw new Error(`not an amount: ${amount}`);
  const v = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -v : v;
}

/** Signed minor units → numeric(18,2) text. */
export function fromMinor(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const s = `${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}

/** Credit positive, debit negative. */
export const signedMinor = (direction: Direction, amount: bigint): bigint => (direction === 'CRDT' ? amount : -amount);

/**
 * Working-day distance between days: the working days in (a, b] for a ≤ b (Saturday → Monday is 1,
 * Friday → Monday is 1, the same day 0). Memoised per day from a base, so a run walks each day once.
 */
export class WorkdayDistance {
  private readonly ord = new Map<string, number>();

  constructor(
    private readonly isWorkday: (day: string) => boolean,
    private readonly base: string,
  ) {
    this.ord.set(base, 0);
  }

  distance(a: string, b: string): number {
    return Math.abs(this.ordinal(b) - this.ordinal(a));
  }

  /** The earliest day within `w` working days before `day`, and the latest after it. */
  window(day: string, w: number): { from: string; to: string } {
    let from = day;
    for (let d = addDays(day, -1); this.distance(d, day) <= w; d = addDays(d, -1)) from = d;
    let to = day;
    for (let d = addDays(day, 1); this.distance(day, d) <= w; d = addDays(d, 1)) to = d;
    return { from, to };
  }

  private ordinal(day: string): number {
    const known = this.ord.get(day);
    if (known !== undefined) return known;
    // Walk from the base (or the nearest known day towards it) one calendar day at a time.
    const step = day > this.base ? 1 : -1;
    let d = this.base;
    let n = 0;
    while (d !== day) {
      const next = addDays(d, step);
      if (step > 0) n += this.isWorkday(next) ? 1 : 0;
      else n -= this.isWorkday(d) ? 1 : 0;
      d = next;
      if (!this.ord.has(d)) this.ord.set(d, n);
      else n = this.ord.get(d)!;
    }
    return n;
  }
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The two passes over a statement's lines, usable page by page: `byReference` for every line first
 * (null: the line waits for the amount pass), then `byAmount` for the lines that waited. Only those
 * lines and the candidates stay in memory, never the whole statement.
 */
export class Matcher {
  private readonly byRef = new Map<string, Candidate[]>();
  private readonly byAmountKey = new Map<string, Candidate[]>();
  private readonly taken = new Set<Candidate>();

  constructor(
    private readonly candidates: Candidate[],
    private readonly distance: (a: string, b: string) => number,
    private readonly windowDays: number,
    /** Pairs a person unmatched (`pairKey`): never matched again by the system, by reference or by amount. */
    private readonly refused: ReadonlySet<string> = new Set(),
  ) {
    for (const c of candidates) {
      for (const raw of c.expected.references) {
        const r = normaliseRef(raw);
        if (!r) continue;
        const list = this.byRef.get(r);
        if (list) list.push(c);
        else this.byRef.set(r, [c]);
      }
      if (c.matched) continue;
      const key = `${c.expected.direction}${c.amount}`;
      const list = this.byAmountKey.get(key);
      if (list) list.push(c);
      else this.byAmountKey.set(key, [c]);
    }
  }

  /** Pass 1: a batch, a reference match, a duplicate, or a reversal nobody names; null: try by amount later. */
  byReference(line: BankLine): LineOutcome | null {
    // A batch: several transaction details, each naming its own record.
    if (line.detailRefs.length >= 2) {
      const parts: Candidate[] = [];
      for (const refs of line.detailRefs) {
        const c = this.named(line, refs).free;
        if (c && !parts.includes(c)) parts.push(c);
      }
      if (parts.length >= 2) {
        for (const c of parts) this.taken.add(c);
        const sum = parts.reduce((s, c) => s + c.amount, 0n);
        return { kind: 'match', line, records: parts, method: 'batch', difference: signedMinor(line.direction, line.amount - sum) };
      }
    }
    const refs = line.detailRefs.length ? [...line.refs, ...line.detailRefs.flat()] : line.refs;
    const { free, used, other } = this.named(line, refs);
    if (free) {
      this.taken.add(free);
      return { kind: 'match', line, records: [free], method: 'reference', difference: signedMinor(line.direction, line.amount - free.amount) };
    }
    if (used) return { kind: 'duplicate', line, record: used };
    // A reversal (MT940 RC/RD, camt RvslInd) undoes a booking: only a record naming it could match it.
    if (line.reversal) return { kind: 'missing', line, reason: 'reversal', candidates: 0, reverses: other };
    return null;
  }

  /** Pass 2: exact amount and direction within the window, when exactly one record fits. */
  byAmount(line: BankLine): LineOutcome {
    const fits = (this.byAmountKey.get(`${line.direction}${line.amount}`) ?? []).filter(
      (c) => this.available(c) && this.distance(c.expected.valueDate, line.date) <= this.windowDays && !this.refused.has(pairKey(line, c.expected)),
    );
    if (fits.length === 1) {
      this.taken.add(fits[0]);
      return { kind: 'match', line, records: [fits[0]], method: 'amount_date', difference: 0n };
    }
    return { kind: 'missing', line, reason: fits.length > 1 ? 'ambiguous' : 'no_candidate', candidates: fits.length, reverses: null };
  }

  /** Available candidates no line took. */
  unmatched(): Candidate[] {
    return this.candidates.filter((c) => this.available(c));
  }

  private available(c: Candidate): boolean {
    return !c.matched && !this.taken.has(c);
  }

  /** The records the references name, in the line's direction: the first free one, else one already taken; and one of the other direction. */
  private named(line: BankLine, refs: string[]): { free: Candidate | null; used: Candidate | null; other: Candidate | null } {
    const found: { free: Candidate | null; used: Candidate | null; other: Candidate | null } = { free: null, used: null, other: null };
    for (const r of refs) {
      for (const c of this.byRef.get(r) ?? []) {
        if (this.refused.size && this.refused.has(pairKey(line, c.expected))) continue;
        if (c.expected.direction !== line.direction) found.other ??= c;
        else if (this.available(c)) found.free ??= c;
        else found.used ??= c;
      }
      if (found.free) break;
    }
    return found;
  }
}

/** A bank line and a record as a pair (the key of a pair a person unmatched). */
export const pairKey = (line: { statementId: string; line: number }, record: { source: string; id: string }): string => `${line.statementId}:${line.line}|${record.source}:${record.id}`;

/** Matches the lines (pass 1 for all, then pass 2), in the order given. */
export function matchLines(lines: BankLine[], candidates: Candidate[], distance: (a: string, b: string) => number, windowDays: number, refused?: ReadonlySet<string>): MatchResult {
  const matcher = new Matcher(candidates, distance, windowDays, refused);
  const outcomes = lines.map((l) => matcher.byReference(l));
  return { outcomes: outcomes.map((o, i) => o ?? matcher.byAmount(lines[i])), unmatched: matcher.unmatched() };
}

/**
 * Balance level (step 7): what the bank's closing balance minus the ledger's bank cash is not
 * explained by. All signed minor units, bank minus ledger.
 *   openEffects:   Σ effect of the account's open exceptions up to the day (bank − ledger each)
 *   inTransit:     Σ signed records in the ledger by the day's end that the bank has not booked yet
 *   lateRecords:   Σ signed records the bank booked by the day whose ledger posting came after it
 *   earlyRecords:  Σ signed records in the ledger by the day that the bank booked on a later statement
 */
export function residual(f: { closing: bigint; ledger: bigint; openEffects: bigint; inTransit: bigint; lateRecords: bigint; earlyRecords: bigint }): bigint {
  const explained = f.openEffects - f.inTransit + f.lateRecords - f.earlyRecords;
  return f.closing - f.ledger - explained;
}
