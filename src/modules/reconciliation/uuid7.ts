import { randomBytes } from 'node:crypto';

/**
 * A time-ordered UUID (version 7: 48-bit Unix milliseconds, then random bits). Matches are written a
 * million at a time: with random (v4) keys every insert lands on a random page of the key's index, and
 * after each checkpoint each such page is written whole to the WAL again (10× the WAL of these keys).
 */
export function uuid7(now: number = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
