// Starts `node runtime` as a child process, as a user would, and waits for its ready line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const RUNTIME = fileURLToPath(new URL('../../runtime', import.meta.url));

export interface Runtime {
  proxy: string;
  /** The TLS proxy listener's URL (https://127.0.0.1:PORT); '' with `--ssl-port off`. */
  proxySsl: string;
  admin: string;
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the first log line satisfying `test` (already seen or future). */
  waitForLog(test: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startRuntime(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Runtime> {
  const child = spawn(process.execPath, [RUNTIME, '--host', '127.0.0.1', '--port', '0', '--ssl-port', '0', '--admin-listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ test: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.test(line)) waiters.splice(i, 1)[0]!.resolve(line);
    }
  });
  const exited = once(child, 'exit');
  const waitForLog = (test: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> => {
    const seen = logs.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`log line not seen within ${timeoutMs} ms; stderr: ${stderr}\nlogs: ${JSON.stringify(logs.slice(-10))}`)), timeoutMs);
      waiters.push({ test, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`runtime exited; stderr: ${stderr}\nlogs: ${JSON.stringify(logs.slice(-10))}`));
      });
    });
  };
  let ready: Record<string, unknown>;
  try {
    ready = await waitForLog((line) => line.msg === 'sluice ready', options.timeoutMs ?? 120_000);
  } catch (error) {
    // A runtime that never got ready must not outlive the test file (it would hold it open).
    child.kill('SIGKILL');
    throw error;
  }
  return {
    proxy: String(ready.proxy),
    proxySsl: typeof ready.proxy_ssl === 'string' ? ready.proxy_ssl : '',
    admin: String(ready.admin),
    child,
    logs,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Writes a config into a fresh temp dir and returns its path. */
export async function writeConfig(text: string, name = 'kong.yaml'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-test-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}
