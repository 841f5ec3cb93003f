import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAccountKind } from '@modules/ledger/chart-of-accounts';
import { END_TO_END_REF_LENGTH, isSwiftReference, newEndToEndRef } from '@modules/money-movements/end-to-end-ref';
import { kindOf, MONEY_MOVEMENT_KINDS } from '@modules/money-movements/kinds';
import { MoneyMovementKind } from '@modules/money-movements/money-movement-kind';
import { MovementRow } from '@modules/money-movements/money-movement.types';
import { canTransition, isDeliverable, MOVEMENT_EVENTS, MOVEMENT_STATES, transition } from '@modules/money-movements/movement-state-machine';
import { movementPayload } from '@modules/settlements/movement-payload';

const ROOT = join(__dirname, '..', '..');
const KINDS_DIR = join(ROOT, 'src', 'modules', 'money-movements', 'kinds');

const row = (over: Partial<MovementRow> = {}): MovementRow => ({
  id: '6f1c1c1e-0000-4000-8000-000000000001',
  kind: 'release',
  state: 'pending',
  amount: '100.00',
  currency: 'CNY',
  end_to_end_ref: 'EM0123456789ABCD',
  source_ref: 'lesson.x',
  escrow_account_id: 'e',
  institution_id: 'i',
  contract_id: 'c',
  district_code: '310117',
  escrow_bank_code: 'ICBC-SH',
  escrow_account_number: '1001',
  escrow_account_name: 'Escrow',
  payee_bank: 'BOC-SH',
  payee_account_number: '4567',
  payee_account_name: 'Payee',
  sequence: null,
  not_before: null,
  ledger_txn_id: '7',
  settlement_txn_id: null,
  failure_txn_id: null,
  bank_transaction_id: null,
  failure_code: null,
  reinstructs_id: null,
  reinstruct_reason: null,
  reinstructed_by: null,
  attempts: 0,
  last_attempt_at: null,
  next_attempt_at: null,
  dead_lettered_at: null,
  executed_at: null,
  created_at: new Date('2026-12-06T04:00:00Z'),
  updated_at: new Date('2026-12-06T04:00:00Z'),
  ...over,
});

describe('money movement kinds', () => {
  it('the registry is the one list: every kind file is registered, nothing else is', () => {
    const files = readdirSync(KINDS_DIR).filter((f) => f.endsWith('.kind.ts'));
    // Loads every kind file by name, so a kind file missing from the registry is found.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const declared = files.flatMap((f) => Object.values(require(join(KINDS_DIR, f)) as Record<string, unknown>)) as MoneyMovementKind[];
    expect(new Set(declared)).toEqual(new Set(MONEY_MOVEMENT_KINDS));
    expect(new Set(MONEY_MOVEMENT_KINDS.map((k) => k.kind)).size).toBe(MONEY_MOVEMENT_KINDS.length);
    expect(files.map((f) => f.replace('.kind.ts', '')).sort()).toEqual(MONEY_MOVEMENT_KINDS.map((k) => k.kind).sort());
  });

  it('every kind names accounts of the chart and moves money between two different accounts', () => {
    for (const k of MONEY_MOVEMENT_KINDS) {
      for (const leg of [...k.postings.instructed, ...k.postings.executed, ...k.postings.failed]) {
        expect(isAccountKind(leg.from) && isAccountKind(leg.to)).toBe(true);
        expect(leg.from).not.toBe(leg.to);
      }
      expect(k.webhookEvent).toMatch(/^escrow\.[a-z_]+\.instructed$/);
    }
  });

  it('release: nothing at instruction, the four postings of a settlement when executed, nothing when failed', () => {
    expect(kindOf('release')).toMatchObject({
      payee: 'institution_basic_account',
      direction: 'out',
      executedTransactionType: 'settlement',
      postings: {
        instructed: [],
        executed: [
          { from: 'institution_unsettled', to: 'bank_cash' },
          { from: 'paid_out', to: 'institution_settled' },
        ],
        failed: [],
      },
    });
  });

  it('refund: held → refund payable when instructed, payable → bank cash when executed, stays payable when failed', () => {
    expect(kindOf('refund')).toMatchObject({
      payee: 'payer_original_account',
      direction: 'out',
      webhookEvent: 'escrow.refund.instructed',
      postings: { instructed: [{ from: 'contract_held', to: 'refund_payable' }], executed: [{ from: 'refund_payable', to: 'bank_cash' }, { from: 'refunded_out', to: 'payer_refunded' }], failed: [] },
    });
    expect(() => kindOf('bonus')).toThrow(/Unknown money movement kind/);
  });

  it('deduction: held → unsettled when instructed, leaves escrow like a release when executed; debit: nothing until executed, then bank cash → held as funding (CRDT)', () => {
    expect(kindOf('deduction')).toMatchObject({
      payee: 'institution_basic_account',
      direction: 'out',
      statementDirection: 'DBIT',
      paysWhileFrozen: false,
      instructedTransactionType: 'deduction',
      postings: { instructed: [{ from: 'contract_held', to: 'institution_unsettled' }], executed: [{ from: 'institution_unsettled', to: 'bank_cash' }, { from: 'paid_out', to: 'institution_settled' }], failed: [] },
    });
    expect(kindOf('debit')).toMatchObject({
      payee: 'payer_original_account',
      direction: 'in',
      statementDirection: 'CRDT',
      executedTransactionType: 'funding',
      postings: { instructed: [], executed: [{ from: 'bank_cash', to: 'contract_held' }], failed: [] },
    });
    // A debit's payload names the payer's account as the side that pays.
    const body = movementPayload({ row: row({ kind: 'debit' }), kind: kindOf('debit') }, '2');
    expect(body).toMatchObject({ type: 'escrow.debit.instructed', direction: 'in', from: { accountNumber: '4567' }, to: { accountNumber: '1001' } });
  });

  it('delivery builds any kind’s payload from the kind’s fields: a kind it has never seen works unchanged', () => {
    // An incoming kind defined only here: delivery code needs no edit for it.
    const incoming: MoneyMovementKind = {
      kind: 'adjustment',
      webhookEvent: 'escrow.adjustment.instructed',
      payee: 'escrow_account',
      direction: 'in',
      statementDirection: 'CRDT',
      postings: { instructed: [], executed: [{ from: 'bank_cash', to: 'bank_adjustment' }], failed: [] },
      instructedTransactionType: 'adjustment',
      executedTransactionType: 'adjustment',
      failedTransactionType: 'adjustment',
      paysWhileFrozen: false,
      statementText: 'ADJUSTMENT',
    };
    const r = row({ kind: 'adjustment' });
    const body = movementPayload({ row: r, kind: incoming }, '3');
    expect(body).toMatchObject({
      type: 'escrow.adjustment.instructed',
      kind: 'adjustment',
      direction: 'in',
      sequence: 3,
      endToEndRef: 'EM0123456789ABCD',
      from: { bankCode: 'BOC-SH', accountNumber: '4567' },
      to: { bankCode: 'ICBC-SH', accountNumber: '1001' },
    });
    const out = movementPayload({ row: row({ kind: 'refund', payee_account_name: '陈女士' }), kind: kindOf('refund') }, '1');
    expect(out).toMatchObject({ type: 'escrow.refund.instructed', from: { accountNumber: '1001' }, to: { accountNumber: '4567', accountName: '陈女士' } });
  });

  it('amounts go out with the currency’s minor units', () => {
    expect(movementPayload({ row: row({ amount: '1500.00', currency: 'JPY' }), kind: kindOf('release') }, '1').amount).toBe('1500');
    expect(movementPayload({ row: row({ amount: '12.5' }), kind: kindOf('release') }, '1').amount).toBe('12.50');
  });

  it('delivery, callbacks and the bank simulator never branch on a kind', () => {
    const names = ['release', 'refund', 'return', 'deduction', 'debit', 'adjustment'];
    const literal = new RegExp(`(['"\`])(${names.join('|')})\\1`);
    const branch = /\.kind\s*[!=]==|switch\s*\([^)]*kind/;
    const tree = (...parts: string[]) => {
      const dir = join(ROOT, ...parts);
      return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
    };
    const files = [...tree('src', 'modules', 'settlements'), ...tree('scripts', 'bank-simulator'), ...tree('scripts', 'demo'), join(ROOT, 'scripts', 'bank-simulator.ts'), join(ROOT, 'scripts', 'demo.ts')];
    expect(files.length).toBeGreaterThan(15);
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      expect({ file: f, literal: literal.exec(src)?.[0] ?? null, branch: branch.exec(src)?.[0] ?? null }).toEqual({ file: f, literal: null, branch: null });
    }
    // Reconciliation names a thing of its own 'adjustment' (a reconciliation record source), so
    // there the other kinds' names are what must not appear: a line is expected from the kind's data, never its name.
    const otherKinds = new RegExp(`(['"\`])(${names.filter((n) => n !== 'adjustment').join('|')})\\1`);
    for (const f of tree('src', 'modules', 'reconciliation')) {
      expect({ file: f, literal: otherKinds.exec(readFileSync(f, 'utf8'))?.[0] ?? null }).toEqual({ file: f, literal: null });
    }
  });
});

describe('movement state machine', () => {
  it('allows the delivery path and the bank results, and nothing out of a final state', () => {
    expect(transition('pending', 'acknowledged')).toBe('acknowledged');
    expect(transition('sent', 'attempt_failed')).toBe('sent');
    expect(transition('acknowledged', 'executed')).toBe('executed');
    expect(transition('queued', 'failed')).toBe('failed');
    for (const e of Object.keys(MOVEMENT_EVENTS) as (keyof typeof MOVEMENT_EVENTS)[]) {
      expect(canTransition('executed', e)).toBe(false);
      expect(canTransition('failed', e)).toBe(false);
    }
    expect(() => transition('executed', 'failed')).toThrow(expect.objectContaining({ code: 'INVALID_SETTLEMENT_TRANSITION' }));
    expect(() => transition('acknowledged', 'attempt_failed')).toThrow(/cannot become sent/);
  });

  it('every event leads to a known state; only pending, queued and sent are delivered', () => {
    for (const e of Object.values(MOVEMENT_EVENTS)) expect(MOVEMENT_STATES).toContain(e.to);
    expect(MOVEMENT_STATES.filter(isDeliverable)).toEqual(['pending', 'queued', 'sent']);
  });
});

describe('end-to-end reference', () => {
  it('is 16 characters of the SWIFT x set, fit for MT940 :61: and camt.053 EndToEndId', () => {
    for (let i = 0; i < 500; i++) {
      const ref = newEndToEndRef();
      expect(ref).toHaveLength(END_TO_END_REF_LENGTH);
      expect(ref).toMatch(/^EM[0-9A-Z]{14}$/);
      expect(isSwiftReference(ref)).toBe(true);
    }
    expect(new Set(Array.from({ length: 2000 }, () => newEndToEndRef())).size).toBe(2000);
  });

  it('the SWIFT check refuses what a bank would reject', () => {
    expect(isSwiftReference('A'.repeat(17))).toBe(false);
    expect(isSwiftReference('/LEADING')).toBe(false);
    expect(isSwiftReference('TRAILING/')).toBe(false);
    expect(isSwiftReference('DOUBLE//SLASH')).toBe(false);
    expect(isSwiftReference('UNDERSCORE_NO')).toBe(false);
    expect(isSwiftReference('退款')).toBe(false);
    expect(isSwiftReference('')).toBe(false);
    expect(isSwiftReference("OK-1/2:(A).B,C'D+E")).toBe(false); // 18 characters
    expect(isSwiftReference("1/2:(A).B,C'D+E")).toBe(true);
  });
});
