import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'esk_';

/** A new API key: 32 random bytes, base64url. Only its SHA-256 is ever stored. */
export function generateApiKeyToken(): { token: string; hash: Buffer; prefix: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashApiKeyToken(token), prefix: token.slice(0, 12) };
}

/**
 * SHA-256 is the right hash here: keys carry 256 bits of entropy, so a slow password hash
 * adds nothing but latency to every request.
 */
export function hashApiKeyToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX) && token.length >= 40 && token.length <= 100;
}
