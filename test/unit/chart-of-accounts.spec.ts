import { ACCOUNT_KINDS, accountCode, accountSpecFor, CHART_OF_ACCOUNTS, isAccountKind, TRANSACTION_TYPES } from '@modules/ledger/chart-of-accounts';

const C = '5f0c2a52-8d7b-4f8e-9a55-1c2d3e4f5a6b';
const I = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const E = 'e5c0a1d2-3b4c-4d5e-8f6a-7b8c9d0e1f2a';

describe('chart of accounts', () => {
  it('lists the nine kinds, each with an owner, a normal side, stripes and a description', () => {
    expect([...ACCOUNT_KINDS].sort()).toEqual(
      ['bank_adjustment', 'bank_cash', 'closure_pool', 'contract_held', 'institution_settled', 'institution_unsettled', 'paid_out', 'payer_refunded', 'payer_transferred', 'refund_payable', 'refunded_out', 'risk_reserve', 'suspense', 'transfer_payable', 'transferred_out'],
    );
    for (const kind of ACCOUNT_KINDS) {
      const rule = CHART_OF_ACCOUNTS[kind];
      expect([kind, ['contract', 'institution', 'escrow'].includes(rule.owner)]).toEqual([kind, true]);
      expect([kind, ['debit', 'credit'].includes(rule.normalSide)]).toEqual([kind, true]);
      expect(Number.isInteger(rule.stripes) && rule.stripes >= 1 && rule.stripes <= 64).toBe(true); // the database CHECK allows 1..64
      expect(rule.description.length).toBeGreaterThan(10);
    }
    expect(isAccountKind('bank_cash')).toBe(true);
    expect(isAccountKind('toString')).toBe(false);
  });

  it('owners: the contract holds its prepaid fees, the institution what it earned, the escrow account the cash', () => {
    const owners = Object.fromEntries(ACCOUNT_KINDS.map((k) => [k, CHART_OF_ACCOUNTS[k].owner]));
    expect(owners).toEqual({
      contract_held: 'contract',
      institution_unsettled: 'institution',
      institution_settled: 'institution',
      paid_out: 'institution',
      risk_reserve: 'institution',
      refund_payable: 'escrow',
      payer_refunded: 'escrow',
      refunded_out: 'escrow',
      bank_cash: 'escrow',
      suspense: 'escrow',
      bank_adjustment: 'escrow',
      transfer_payable: 'escrow',
      closure_pool: 'escrow',
      payer_transferred: 'escrow',
      transferred_out: 'escrow',
    });
  });

  it('normal sides: money held for others is credit-normal; cash and its contras are debit-normal; only adjustments go negative', () => {
    const debit = ACCOUNT_KINDS.filter((k) => CHART_OF_ACCOUNTS[k].normalSide === 'debit').sort();
    expect(debit).toEqual(['bank_adjustment', 'bank_cash', 'paid_out', 'refunded_out', 'transferred_out']);
    expect(ACCOUNT_KINDS.filter((k) => CHART_OF_ACCOUNTS[k].allowNegative)).toEqual(['bank_adjustment']);
    // Hot accounts (written by many contracts at once) are striped; a contract's own account is not.
    expect(CHART_OF_ACCOUNTS.contract_held.stripes).toBe(1);
    expect(CHART_OF_ACCOUNTS.institution_unsettled.stripes).toBeGreaterThan(1);
    expect(CHART_OF_ACCOUNTS.bank_cash.stripes).toBeGreaterThan(1);
  });

  it('account codes are exactly the stored ones (existing rows are found by them)', () => {
    // Written out by hand: the format of ledger_accounts.code in every database so far.
    expect(accountCode({ type: 'contract_held', contractId: C, institutionId: I, escrowAccountId: E })).toBe(`contract:${C}:contract_held:CNY`);
    expect(accountCode({ type: 'institution_unsettled', institutionId: I, escrowAccountId: E, currency: 'CNY' })).toBe(`institution:${I}:institution_unsettled:CNY`);
    expect(accountCode({ type: 'institution_settled', institutionId: I })).toBe(`institution:${I}:institution_settled:CNY`);
    expect(accountCode({ type: 'paid_out', institutionId: I, currency: 'HKD' })).toBe(`institution:${I}:paid_out:HKD`);
    expect(accountCode({ type: 'risk_reserve', institutionId: I })).toBe(`institution:${I}:risk_reserve:CNY`);
    expect(accountCode({ type: 'bank_cash', escrowAccountId: E, institutionId: I })).toBe(`escrow:${E}:bank_cash:CNY`);
    expect(accountCode({ type: 'refund_payable', escrowAccountId: E })).toBe(`escrow:${E}:refund_payable:CNY`);
    expect(accountCode({ type: 'suspense', escrowAccountId: E, currency: 'JPY' })).toBe(`escrow:${E}:suspense:JPY`);
    expect(accountCode({ type: 'bank_adjustment', escrowAccountId: E })).toBe(`escrow:${E}:bank_adjustment:CNY`);
  });

  it('accountSpecFor picks the owner id the chart names, and refuses a contract kind without a contract', () => {
    const owner = { escrowAccountId: E, institutionId: I, contractId: C, currency: 'CNY' };
    expect(accountSpecFor('contract_held', owner)).toEqual({ type: 'contract_held', currency: 'CNY', contractId: C, institutionId: I, escrowAccountId: E });
    expect(accountSpecFor('institution_unsettled', owner)).toEqual({ type: 'institution_unsettled', currency: 'CNY', contractId: null, institutionId: I, escrowAccountId: null });
    expect(accountSpecFor('bank_cash', owner)).toEqual({ type: 'bank_cash', currency: 'CNY', contractId: null, institutionId: I, escrowAccountId: E });
    expect(() => accountSpecFor('contract_held', { ...owner, contractId: null })).toThrow(/contractId/);
    for (const kind of ACCOUNT_KINDS.filter((k) => k !== 'contract_held')) expect(() => accountSpecFor(kind, { ...owner, contractId: undefined })).not.toThrow();
  });

  it('transaction types include the coming movements', () => {
    expect(TRANSACTION_TYPES).toEqual(expect.arrayContaining(['funding', 'release', 'refund', 'settlement', 'reversal', 'adjustment', 'transfer', 'deduction', 'debit']));
  });
});
