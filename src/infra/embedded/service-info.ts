import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * What a running service tells other processes (the CLI) about the embedded PostgreSQL it uses.
 * Written next to the data directory like `<dataDir>.credentials.json` (the data directory itself
 * belongs to the `postgres` OS user when we run as root). No secrets: those stay in the credentials file.
 */
export interface RunningService {
  pid: number;
  apiUrl: string;
  dataDir: string;
  databasePort: number;
  role: string;
  startedAt: string;
}

export function serviceInfoFile(dataDir: string): string {
  return `${resolve(dataDir)}.service.json`;
}

/** `kill(pid, 0)` probes without signalling; EPERM means the process exists but belongs to another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writeServiceInfo(info: RunningService): void {
  const file = serviceInfoFile(info.dataDir);
  const tmp = `${file}.${info.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file); // readers never see half a file
}

/** Removes the file only if it is still ours (another service on the same data may have written it since). */
export function removeServiceInfo(dataDir: string, pid: number): void {
  const file = serviceInfoFile(dataDir);
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as RunningService).pid === pid) rmSync(file, { force: true });
  } catch {
    // missing or unreadable: nothing of ours to remove
  }
}

/** The service recorded for this data directory, or null when there is none or its process is gone (stale file). */
export function readRunningService(dataDir: string): RunningService | null {
  const file = serviceInfoFile(dataDir);
  if (!existsSync(file)) return null;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as RunningService;
    return Number.isInteger(info.pid) && isProcessAlive(info.pid) ? info : null;
  } catch {
    return null;
  }
}
