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

export const CLI_JS = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

/** Runs the built CLI (`node dist/src/cli.js …`) with only the configuration the test gives it. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(DATABASE_URL|REDIS_URL|TEST_DATABASE_URL|EMBEDDED_PG_.*)$/.test(k)) base[k] = v;
  }
  const child = spawn(process.execPath, [CLI_JS, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
