// Runs on the bench orchestrator (`node bench/run.ts`), never inside Sluice.
// Every process the bench starts is spawned through here, so one registry knows every pid and
// can stop them all: at the end of a run, on an error, on SIGINT/SIGTERM. Children are stopped
// by their own pid (SIGTERM, then SIGKILL after a grace period), never by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const TAIL_LINES = 40;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Last lines of stdout+stderr, for error messages when a child dies or never gets ready. */
  readonly tail: string[];
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Set once `exited` resolved. */
  exitStatus: number | string | null;
  /** How long `stop` waits after SIGTERM before SIGKILL. */
  readonly graceMs: number;
}

type LineListener = (line: string) => void;

const live = new Set<Child>();
const lineListeners = new WeakMap<Child, Set<LineListener>>();

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL delay for `stop` (default 3000 ms). */
  graceMs?: number;
}

/** Spawns a child, registers it for cleanup and keeps draining its output (a full pipe would stall it). */
export function start(name: string, command: string, args: readonly string[], options: StartOptions = {}): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) {
    // spawn reports ENOENT asynchronously; swallow it here, the caller gets a clear error below.
    proc.on('error', () => {});
    throw new Error(`${name}: could not spawn ${command}`);
  }
  const listeners = new Set<LineListener>();
  const tail: string[] = [];
  let resolveExit: (status: number | string) => void = () => {};
  const exited = new Promise<number | string>((resolve) => {
    resolveExit = resolve;
  });
  const child: Child = { name, pid: proc.pid, proc, tail, exited, exitStatus: null, graceMs: options.graceMs ?? 3000 };
  lineListeners.set(child, listeners);
  live.add(child);

  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    for (const listener of listeners) listener(line);
  };
  createInterface({ input: proc.stdout }).on('line', onLine);
  createInterface({ input: proc.stderr }).on('line', onLine);
  proc.on('error', (err) => onLine(`spawn error: ${err.message}`));
  proc.on('exit', (code, signal) => {
    live.delete(child);
    child.exitStatus = code ?? signal ?? 'unknown';
    resolveExit(child.exitStatus);
  });
  return child;
}

/** Waits for an output line matching `match`; fails if the child exits first or time runs out. */
export function waitForLine(child: Child, match: (line: string) => boolean, timeoutMs: number): Promise<string> {
  const listeners = lineListeners.get(child);
  if (listeners === undefined) return Promise.reject(new Error(`${child.name}: unknown child`));
  return new Promise((resolve, reject) => {
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      listeners.delete(onLine);
      fn();
    };
    const onLine = (line: string): void => {
      if (match(line)) done(() => resolve(line));
    };
    const timer = setTimeout(
      () => done(() => reject(new Error(`${child.name}: not ready after ${timeoutMs} ms\n${describeTail(child)}`))),
      timeoutMs,
    );
    listeners.add(onLine);
    void child.exited.then((status) =>
      done(() => reject(new Error(`${child.name}: exited (${status}) before ready\n${describeTail(child)}`))),
    );
  });
}

export function describeTail(child: Child): string {
  return child.tail.length === 0 ? '  (no output)' : child.tail.map((l) => `  | ${l}`).join('\n');
}

/** Stops one child by pid: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stop(child: Child, graceMs = child.graceMs): Promise<void> {
  if (child.exitStatus !== null) return;
  signal(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signal(child.pid, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Stops every child still running, in parallel; `graceMs` caps each child's own grace period. */
export async function stopAll(graceMs?: number): Promise<void> {
  await Promise.all([...live].map((child) => stop(child, Math.min(child.graceMs, graceMs ?? child.graceMs))));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone (ESRCH): nothing to stop.
  }
}

/**
 * Stops all children when the orchestrator is interrupted or fails. `onCleanup` runs after the
 * children are gone (e.g. to remove temp dirs). A second Ctrl-C kills what is left at once.
 */
export function installCleanupHandlers(onCleanup: () => void): void {
  let interrupted = false;
  const bail = (code: number, why: string): void => {
    if (interrupted) {
      for (const child of live) signal(child.pid, 'SIGKILL');
      process.exit(code);
    }
    interrupted = true;
    process.stderr.write(`\n${why}: stopping ${live.size} child process(es)...\n`);
    void stopAll(2000).finally(() => {
      onCleanup();
      process.exit(code);
    });
  };
  process.on('SIGINT', () => bail(130, 'SIGINT'));
  process.on('SIGTERM', () => bail(143, 'SIGTERM'));
  process.on('uncaughtException', (err) => {
    process.stderr.write(`${err.stack ?? String(err)}\n`);
    bail(1, 'uncaught exception');
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    bail(1, 'unhandled rejection');
  });
  // Last resort if something calls process.exit() directly: exit handlers must be synchronous.
  process.on('exit', () => {
    for (const child of live) signal(child.pid, 'SIGKILL');
  });
}

/** For the bench's own helper processes: exit if the orchestrator vanished (e.g. SIGKILL). */
export function exitWithParent(onExit: () => void = () => process.exit(0)): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) onExit();
  }, 1000).unref();
}
