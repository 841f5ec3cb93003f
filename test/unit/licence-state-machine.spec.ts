import { LICENCE_ACTIONS, LICENCE_STATES, LicenceAction, LicenceState, nextLicenceState } from '@modules/licences/licence-state-machine';

// The whole table: every (state, action) pair that is allowed, and where it leads.
const ALLOWED: Record<string, LicenceState> = {
  'applied/start_review': 'under_review',
  'under_review/approve': 'active',
  'under_review/reject': 'rejected',
  'active/suspend': 'suspended',
  'suspended/reinstate': 'active',
  'active/revoke': 'revoked',
  'suspended/revoke': 'revoked',
  'active/expire': 'expired',
  'active/supersede': 'expired',
  'suspended/supersede': 'expired',
  'active/renew': 'active',
  'expired/renew': 'expired',
};

describe('licence state machine', () => {
  const pairs = LICENCE_STATES.flatMap((s) => LICENCE_ACTIONS.map((a) => [s, a] as [LicenceState, LicenceAction]));

  it.each(pairs)('%s + %s', (state, action) => {
    expect(nextLicenceState(state, action)).toBe(ALLOWED[`${state}/${action}`] ?? null);
  });

  it('has final states with no way out but renewal of an expired licence', () => {
    for (const final of ['rejected', 'revoked'] as LicenceState[]) {
      expect(LICENCE_ACTIONS.filter((a) => nextLicenceState(final, a))).toEqual([]);
    }
    expect(LICENCE_ACTIONS.filter((a) => nextLicenceState('expired', a))).toEqual(['renew']);
  });
});
