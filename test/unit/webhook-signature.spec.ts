import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { signWebhook, verifyWebhook } from '@modules/banks/webhook-signature';

/**
 * The node:crypto verification of bank requests against the `standardwebhooks` package it
 * replaced: the package signs, both verify, both must agree (valid, wrong secret, tampered body,
 * stale and future timestamps at and beyond 5 minutes, several signatures, several secrets).
 */

const NOW = Date.UTC(2026, 11, 2, 6, 0, 0);
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

interface Case {
  id: string;
  at: number; // seconds
  body: Buffer;
  signature: string;
}

const headersOf = (c: Case) => ({ 'webhook-id': c.id, 'webhook-timestamp': String(c.at), 'webhook-signature': c.signature });
/** What the package says, with the secrets tried in turn as BanksService did. */
const library = (c: Case, secrets: string[]): boolean =>
  secrets.some((s) => {
    try {
      new Webhook(s).verify(c.body, headersOf(c), { jsonParse: false });
      return true;
    } catch {
      return false;
    }
  });
const ours = (c: Case, secrets: string[]): boolean => verifyWebhook({ id: c.id, timestamp: String(c.at), signature: c.signature, body: c.body }, secrets);
const librarySign = (secret: string, id: string, at: number, body: Buffer) => new Webhook(secret).sign(id, new Date(at * 1000), body);

describe('webhook signature (node:crypto) agrees with standardwebhooks', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  const secret = newSecret();
  const other = newSecret();
  const now = NOW / 1000;
  const body = Buffer.from('{"amount":"100.00","reference":"EM0000000001"}');
  const valid = (o: Partial<Case> = {}): Case => {
    const c = { id: 'msg_1', at: now, body, ...o };
    return { ...c, signature: librarySign(secret, c.id, c.at, c.body), ...o };
  };

  it.each<[string, Case, string[], boolean]>([
    ['valid', valid(), [secret], true],
    ['wrong secret', valid(), [other], false],
    ['rotation: the second secret', valid(), [other, secret], true],
    ['tampered body', { ...valid(), body: Buffer.from('{"amount":"900.00","reference":"EM0000000001"}') }, [secret], false],
    ['tampered id', { ...valid(), id: 'msg_2' }, [secret], false],
    ['tampered timestamp', { ...valid(), at: now - 1 }, [secret], false],
    ['exactly 5 minutes old', valid({ at: now - 300 }), [secret], true],
    ['stale: 5 minutes and 1 second', valid({ at: now - 301 }), [secret], false],
    ['exactly 5 minutes ahead', valid({ at: now + 300 }), [secret], true],
    ['future: 5 minutes and 1 second ahead', valid({ at: now + 301 }), [secret], false],
    ['several signatures, the valid one last', { ...valid(), signature: `v1,AAAA v1,${'A'.repeat(43)}= ${valid().signature}` }, [secret], true],
    ['several signatures, one per secret (the sender rotates)', { ...valid(), signature: `${librarySign(other, 'msg_1', now, body)} ${valid().signature}` }, [secret], true],
    ['the right hash under another version', { ...valid(), signature: valid().signature.replace('v1,', 'v2,') }, [secret], false],
    ['no signature', { ...valid(), signature: '' }, [secret], false],
    ['a signature without its version', { ...valid(), signature: valid().signature.slice(3) }, [secret], false],
    ['a truncated signature', { ...valid(), signature: valid().signature.slice(0, -2) }, [secret], false],
    ['an empty body', valid({ body: Buffer.alloc(0) }), [secret], true],
    ['a UTF-8 statement file', valid({ body: Buffer.from('<Document>学费 TUITION ü€</Document>') }), [secret], true],
    ['not UTF-8, signed by the package (invalid bytes read as U+FFFD)', valid({ body: Buffer.from([0x3c, 0xff, 0xfe, 0xc3, 0x28, 0x3e]) }), [secret], true],
  ])('%s', (_, c, secrets, expected) => {
    expect(library(c, secrets)).toBe(expected);
    expect(ours(c, secrets)).toBe(expected);
  });

  it('a timestamp header the package reads with parseInt is read the same way', () => {
    const c = valid();
    for (const at of [`${now}abc`, ` ${now}`, `${now}.9`, 'abc', '']) {
      const h = { id: c.id, timestamp: at, signature: c.signature, body: c.body };
      let lib: boolean;
      try {
        new Webhook(secret).verify(c.body, { 'webhook-id': c.id, 'webhook-timestamp': at, 'webhook-signature': c.signature }, { jsonParse: false });
        lib = true;
      } catch {
        lib = false;
      }
      expect([at, verifyWebhook(h, [secret])]).toEqual([at, lib]);
    }
  });

  it('our signatures verify with the package, and its with ours (any id, time, body)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: -400, max: 400 }), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (id, offset, bytes, tamper) => {
        const b = Buffer.from(bytes);
        const at = now + offset;
        const signature = signWebhook(secret, id, at, b);
        if (Buffer.from(b.toString()).equals(b)) expect(signature).toBe(librarySign(secret, id, at, b));
        const c = { id, at, body: tamper ? Buffer.concat([b, Buffer.from('x')]) : b, signature: librarySign(secret, id, at, b) };
        expect(ours(c, [other, secret])).toBe(library(c, [other, secret]));
      }),
      { numRuns: 500 },
    );
  });

  it('a body that is not UTF-8 also verifies when signed over its raw bytes (what the package cannot check)', () => {
    const raw = Buffer.from([0x3c, 0xc4, 0xe3, 0xba, 0xc3, 0x3e]); // GBK bytes, not UTF-8
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const signature = `v1,${createHmac('sha256', key).update(`msg_1.${now}.`).update(raw).digest('base64')}`;
    expect(ours({ id: 'msg_1', at: now, body: raw, signature }, [secret])).toBe(true);
    expect(ours({ id: 'msg_1', at: now, body: Buffer.from([0x3c, 0xc4, 0xe3, 0xba, 0xc4, 0x3e]), signature }, [secret])).toBe(false);
  });
});
