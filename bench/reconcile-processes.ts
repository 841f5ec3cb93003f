import { ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { round } from './bench-support';

/** The processes of bench:reconcile: the service's API and workers (spawned from the build), their peak RSS, the bank's signature. */

/** Peak resident set (VmHWM) of a live process, in MB; null once it is gone. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export interface Service {
  name: string;
  child: ChildProcess;
  base: string;
  stop(): Promise<void>;
}

/** The built service (dist/src/main.js) as its own process, resolved once its start banner names the API URL. */
export async function startService(name: string, env: Record<string, string>): Promise<Service> {
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(__dirname, '..', 'src', 'main.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // Keep reading (a full pipe would stall the process), keep only the tail for messages.
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-16_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /API:\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${out}`)));
  });
  void exited.then((code) => {
    if (!stopping.has(child)) process.stderr.write(`${name} exited unexpectedly (${code}):\n${out}\n`);
  });
  return {
    name,
    child,
    base,
    stop: async () => {
      stopping.add(child);
      child.kill('SIGTERM');
      await exited;
    },
  };
}
const stopping = new Set<ChildProcess>();

/** The run's BullMQ keys on Redis (its own QUEUE_PREFIX), removed at the end as the database is dropped. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Standard Webhooks v1 over the exact bytes: HMAC-SHA256 of `id.timestamp.body` with the secret's key (node:crypto; checked against the library once). */
export function signer(secret: string) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const sign = (id: string, at: Date, body: Buffer) => {
    const ts = Math.floor(at.getTime() / 1000);
    return `v1,${createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')}`;
  };
  const probe = Buffer.from('<probe>对账</probe>');
  const at = new Date();
  if (sign('probe', at, probe) !== new Webhook(secret).sign('probe', at, probe.toString())) throw new Error('the bench signature differs from standardwebhooks');
  return sign;
}
