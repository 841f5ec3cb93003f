/**
 * The licence (办学许可证) lifecycle as an explicit table. Anything not listed is refused
 * with 409 INVALID_LICENCE_TRANSITION.
 *
 *   applied --start_review--> under_review --approve(quorum)--> active
 *                                          --reject-----------> rejected (final)
 *   active --suspend--> suspended --reinstate--> active
 *   active | suspended --revoke--> revoked (final)
 *   active --expire (by date)--> expired
 *   active | suspended --supersede (its renewal became active)--> expired
 *   active | expired --renew--> (a new licence period, applied)
 */
export const LICENCE_STATES = ['applied', 'under_review', 'active', 'rejected', 'suspended', 'revoked', 'expired'] as const;
export type LicenceState = (typeof LICENCE_STATES)[number];

export const LICENCE_ACTIONS = ['start_review', 'approve', 'reject', 'suspend', 'reinstate', 'revoke', 'expire', 'supersede', 'renew'] as const;
export type LicenceAction = (typeof LICENCE_ACTIONS)[number];

const TABLE: Record<LicenceAction, Partial<Record<LicenceState, LicenceState>>> = {
  start_review: { applied: 'under_review' },
  approve: { under_review: 'active' },
  reject: { under_review: 'rejected' },
  suspend: { active: 'suspended' },
  reinstate: { suspended: 'active' },
  revoke: { active: 'revoked', suspended: 'revoked' },
  expire: { active: 'expired' },
  supersede: { active: 'expired', suspended: 'expired' },
  // Renewal leaves the current licence as it is and opens the next period.
  renew: { active: 'active', expired: 'expired' },
};

/** The state after `action`, or null when the transition is not allowed. */
export function nextLicenceState(from: LicenceState, action: LicenceAction): LicenceState | null {
  return TABLE[action][from] ?? null;
}

export function allowedActions(from: LicenceState): LicenceAction[] {
  return LICENCE_ACTIONS.filter((a) => nextLicenceState(from, a) !== null);
}
