import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BankSecretKey } from '@config/app-config';

/**
 * One secret sealed with AES-256-GCM. `k` names the key of the ring that sealed it, so a key
 * change can re-seal row by row while every key of the ring still opens what it sealed.
 */
export interface SealedSecret {
  v: 1;
  k: string;
  iv: string;
  ct: string;
  tag: string;
}

export class SecretBoxError extends Error {
  constructor(
    readonly keyId: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const ALGORITHM = 'aes-256-gcm';

/**
 * Seals and opens short secrets with a key ring: the first key seals, every key opens. The
 * context (here the bank code) is authenticated data: a sealed secret copied onto another row
 * does not open there.
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  readonly primaryKeyId: string;

  constructor(ring: BankSecretKey[]) {
    if (!ring.length) throw new Error('SecretBox needs at least one key');
    this.keys = new Map(ring.map((k) => [k.id, k.key]));
    this.primaryKeyId = ring[0].id;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.primaryKeyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { v: 1, k: this.primaryKeyId, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  }

  open(sealed: SealedSecret, context: string): string {
    const key = this.keys.get(sealed.k);
    if (!key) throw new SecretBoxError(sealed.k, `No key "${sealed.k}" in the ring`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(sealed.k, `Key "${sealed.k}" does not open this secret (another key under that id, or altered data)`);
    }
  }

  /** Sealed with a key other than the one that seals now: a re-encryption pass rewrites it. */
  isStale(sealed: SealedSecret): boolean {
    return sealed.k !== this.primaryKeyId;
  }
}
