import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const MAIN_JS = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

export interface SpawnedService {
  child: ChildProcess;
  output(): string;
  /** Resolves with the API base URL once the start banner is printed. */
  ready: Promise<string>;
  exited: Promise<number | null>;
}

/** Runs the built service (`npm run build` first, which `npm test` does) as a real process. */
export function spawnService(env: Record<string, string>, opts: { inheritDbEnv?: boolean } = {}): SpawnedService {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    // The service must see only the configuration the test gives it.
    if (!opts.inheritDbEnv && /^(DATABASE_URL|REDIS_URL|TEST_DATABASE_URL|PORT|PROCESS_ROLE|QUEUE_PREFIX|EMBEDDED_PG_.*)$/.test(k)) continue;
    base[k] = v;
  }
  const child = spawn(process.execPath, [MAIN_JS], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /API:\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`service exited (${code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, output: () => out, ready, exited };
}
