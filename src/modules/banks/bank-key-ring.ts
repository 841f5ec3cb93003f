import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppConfig, BankSecretKey, parseBankSecretKeys } from '@config/app-config';

export interface BankKeyRing {
  keys: BankSecretKey[];
  /** Where the ring came from, for the boot log (never the keys themselves). */
  source: string;
}

/** The dev-only ring of an embedded database lives next to its data directory, like its credentials. */
export const embeddedKeyFile = (config: AppConfig) => `${resolve(config.EMBEDDED_PG_DIR)}.bank-secret-keys`;

/**
 * BANK_SECRET_KEYS when set (config validation makes it mandatory with DATABASE_URL outside
 * tests). Otherwise, with the embedded database, a key generated on first start and kept in a
 * 0600 file beside the data directory, so `npm start` needs no setup and restarts keep opening
 * what they sealed; a dump of the database alone still cannot open it. In tests against an
 * external database without the variable: a fresh in-memory key per process.
 */
export function resolveBankKeyRing(config: AppConfig): BankKeyRing {
  if (config.BANK_SECRET_KEYS) return { keys: parseBankSecretKeys(config.BANK_SECRET_KEYS), source: 'BANK_SECRET_KEYS' };
  if (!config.DATABASE_URL) {
    const file = embeddedKeyFile(config);
    return { keys: parseBankSecretKeys(readOrCreateKeyFile(file)), source: `${file} (dev-only key of the embedded database)` };
  }
  return { keys: [{ id: 'ephemeral', key: randomBytes(32) }], source: 'an in-memory key of this test process' };
}

function readOrCreateKeyFile(file: string): string {
  const ring = `local-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}`;
  mkdirSync(dirname(file), { recursive: true });
  try {
    // 'wx': two processes starting together cannot both create it; the loser reads the winner's.
    writeFileSync(file, `# Dev-only key ring of this embedded database (set BANK_SECRET_KEYS in production)\n${ring}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.trim());
  const value = lines.find((l) => l && !l.startsWith('#'));
  if (!value) throw new Error(`${file} holds no key; delete it only together with the embedded database`);
  return value;
}
