export const ROLES = ['admin', 'regulator', 'institution', 'bank'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, resolved from the API key. Scope fields depend on the role. */
export interface Principal {
  /** The API key's id: audit trails record it as the actor. */
  id: string;
  name: string;
  role: Role;
  /** Regulator: 6-digit administrative codes (a province or city code covers the districts under it). */
  districts: string[];
  institutionId: string | null;
  bankCode: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
