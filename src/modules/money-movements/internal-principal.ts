import { Principal } from '@common/auth/principal';

/**
 * The principal of the service's own reads through a registry module's scoped API (an
 * institution's basic account for a payee snapshot, the district of an escrow account's
 * institution for an event). It never comes from a request: callers have checked the
 * request's scope before reaching the code that uses it.
 */
export const INTERNAL_PRINCIPAL: Principal = Object.freeze({ id: '00000000-0000-0000-0000-000000000000', name: 'internal', role: 'admin', districts: [], institutionId: null, bankCode: null });
