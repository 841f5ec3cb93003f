import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError } from '@modules/banks/secret-box';

const ringKey = (id: string) => ({ id, key: randomBytes(32) });
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('SecretBox (bank secrets at rest)', () => {
  const k1 = ringKey('k1');
  const k2 = ringKey('k2');

  it('seals with the first key, leaves no trace of the secret, and opens it again', () => {
    const box = new SecretBox([k1, k2]);
    const sealed = box.seal(SECRET, 'bank:ICBC-SH');
    expect(sealed.k).toBe('k1');
    const stored = JSON.stringify(sealed);
    expect(stored).not.toContain('whsec_');
    expect(stored).not.toContain(SECRET.slice(6, 30));
    expect(box.open(sealed, 'bank:ICBC-SH')).toBe(SECRET);
    // A fresh IV each time: the same secret never seals to the same bytes.
    expect(box.seal(SECRET, 'bank:ICBC-SH').ct).not.toBe(sealed.ct);
  });

  it('a dumped row does not open with another key, even under the same key id', () => {
    const sealed = new SecretBox([k1]).seal(SECRET, 'bank:ICBC-SH');
    expect(() => new SecretBox([k2]).open(sealed, 'bank:ICBC-SH')).toThrow(SecretBoxError);
    expect(() => new SecretBox([{ id: 'k1', key: randomBytes(32) }]).open(sealed, 'bank:ICBC-SH')).toThrow(/does not open/);
  });

  it('binds a secret to its bank and detects tampering', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal(SECRET, 'bank:ICBC-SH');
    expect(() => box.open(sealed, 'bank:BOC-SH')).toThrow(SecretBoxError);
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[0] ^= 1;
    expect(() => box.open({ ...sealed, ct: ct.toString('base64') }, 'bank:ICBC-SH')).toThrow(SecretBoxError);
  });

  it('a key change: the new key first seals, the old one still opens, and re-sealing moves a secret to the new key', () => {
    const before = new SecretBox([k1]);
    const old = before.seal(SECRET, 'bank:ICBC-SH');
    const during = new SecretBox([k2, k1]);
    expect(during.isStale(old)).toBe(true);
    expect(during.open(old, 'bank:ICBC-SH')).toBe(SECRET);
    const resealed = during.seal(during.open(old, 'bank:ICBC-SH'), 'bank:ICBC-SH');
    expect(during.isStale(resealed)).toBe(false);
    const after = new SecretBox([k2]);
    expect(after.open(resealed, 'bank:ICBC-SH')).toBe(SECRET);
    expect(() => after.open(old, 'bank:ICBC-SH')).toThrow(/No key "k1"/);
  });
});
