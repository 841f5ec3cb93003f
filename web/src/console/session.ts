import { ApiError, call, RequestOptions } from '../common/api';
import { signal } from '../common/signal';

export interface Session { key: string; district: string; admin: boolean }

const saved = sessionStorage.getItem('console-session');
/** The signed-in key and district; kept in this tab only (sessionStorage), gone when it closes. */
export const session = signal<Session | null>(saved ? (JSON.parse(saved) as Session) : null);
/** Why the last session ended (a revoked key, ...), shown on the sign-in form. */
export const signOutReason = signal<string | null>(null);

export function signIn(s: Session): void {
  sessionStorage.setItem('console-session', JSON.stringify(s));
  // The queue dashboard is a page of its own: it reads the admin key from this cookie (its path only).
  if (s.admin) document.cookie = `esk_queues=${encodeURIComponent(s.key)}; path=/admin/queues; SameSite=Strict`;
  signOutReason.set(null);
  session.set(s);
}

export function signOut(reason: string | null = null): void {
  sessionStorage.removeItem('console-session');
  document.cookie = 'esk_queues=; path=/admin/queues; SameSite=Strict; max-age=0';
  signOutReason.set(reason);
  session.set(null);
}

/** An API call with the signed-in key; a 401 ends the session (the key was revoked meanwhile). */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const s = session.get();
  if (!s) throw new ApiError(401, 'UNAUTHENTICATED', 'Not signed in', null);
  try {
    return await call<T>(path, { authorization: `Bearer ${s.key}` }, opts);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signOut('sessionEnded');
    throw e;
  }
}

/** Every page of a keyset listing ({ items, nextCursor }), up to `max` items. */
export async function all<T>(path: string, max = 2000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: string | null } = await api(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < max);
  return out;
}

/** Whether a district code covers an institution's district (a province or city code covers its districts). */
export function covers(code: string, district: string): boolean {
  const prefix = code.endsWith('0000') ? code.slice(0, 2) : code.endsWith('00') ? code.slice(0, 4) : code;
  return district.startsWith(prefix);
}
