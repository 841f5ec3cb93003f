import { isUtf8 } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks v1 verification with node:crypto. The `standardwebhooks` package hashes in
 * pure JavaScript after turning the body into a string (about 16 ms per MB, and statement files
 * are megabytes); this computes the same HMAC natively over the bytes.
 *
 * Same rules as the spec and that package (test/unit/webhook-signature.spec.ts checks one against
 * the other): the header holds space-separated `v1,<base64>` signatures; each is the base64
 * HMAC-SHA256 of `{webhook-id}.{timestamp}.{body}` under the secret's base64 after `whsec_`; the
 * timestamp is read as the package reads it (parseInt) and must be within 5 minutes of now, either
 * way; comparison is constant-time; any one of the given secrets (a rotation's overlap) verifies.
 * One deliberate addition: a body that is not valid UTF-8 also verifies when signed over its raw
 * bytes (as signers in other languages do), besides the package's reading of it (invalid bytes
 * replaced by U+FFFD before hashing).
 */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = 'whsec_';

export interface SignedRequest {
  id: string;
  timestamp: string;
  /** The webhook-signature header. */
  signature: string;
  body: Buffer | string;
}

/** The HMAC key of a `whsec_` secret; null for an empty one (the package refuses it too). */
function keyOf(secret: string): Buffer | null {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  return key.length ? key : null;
}

/** The header's timestamp in seconds when within the tolerance of now, else null. */
export function acceptedTimestamp(header: string, nowMs = Date.now()): number | null {
  const timestamp = parseInt(header, 10);
  if (Number.isNaN(timestamp)) return null;
  const now = Math.floor(nowMs / 1000);
  if (now - timestamp > WEBHOOK_TOLERANCE_SECONDS || timestamp > now + WEBHOOK_TOLERANCE_SECONDS) return null;
  return timestamp;
}

/** `v1,<base64>` of the content (what a bank puts in webhook-signature, one per secret). */
export function signWebhook(secret: string, id: string, timestamp: number, body: Buffer | string): string {
  const key = keyOf(secret);
  if (!key) throw new Error('empty webhook secret');
  return `v1,${hmac(key, `${id}.${timestamp}.`, body)}`;
}

const hmac = (key: Buffer, head: string, body: Buffer | string): string => createHmac('sha256', key).update(head).update(body).digest('base64');

/** True when one of the request's v1 signatures is that of one of the secrets, within the time tolerance. */
export function verifyWebhook(request: SignedRequest, secrets: readonly string[], nowMs = Date.now()): boolean {
  const timestamp = acceptedTimestamp(request.timestamp, nowMs);
  if (timestamp === null) return false;
  const offered = request.signature
    .split(' ')
    .map((s) => s.split(','))
    .filter(([version]) => version === 'v1')
    .map(([, signature]) => Buffer.from(signature ?? '', 'utf8'));
  if (!offered.length) return false;
  const head = `${request.id}.${timestamp}.`;
  // The package hashes the body decoded as UTF-8 (invalid bytes → U+FFFD): the same bytes unless it is not UTF-8.
  const bodies: (Buffer | string)[] = [request.body];
  if (Buffer.isBuffer(request.body) && !isUtf8(request.body)) bodies.push(request.body.toString('utf8'));
  let ok = false;
  for (const secret of secrets) {
    const key = keyOf(secret);
    if (!key) continue;
    for (const body of bodies) {
      const expected = Buffer.from(hmac(key, head, body), 'utf8');
      // Every offered signature is compared (no early exit): the time taken says nothing about which matched.
      for (const signature of offered) if (signature.length === expected.length && timingSafeEqual(signature, expected)) ok = true;
    }
  }
  return ok;
}
