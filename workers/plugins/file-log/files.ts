// Runs on a worker thread: the files file-log appends to, one writer per path per worker, shared
// by every file-log instance that names the path (Kong keeps one descriptor per path too).
//
// Non-blocking: the log phase only appends the line to the writer's pending list; the lines that
// gathered within one tick of the worker's timer wheel go out in one fs.write (libuv's thread
// pool), so the event loop never waits on the disk. Every line is written whole within one
// write(2) on an O_APPEND descriptor, so workers (and other processes) appending to the same file
// interleave whole lines. A disk slower than the traffic does not grow the heap: past
// MAX_PENDING_BYTES waiting, new lines are dropped and counted (workers/logging/drops.ts).
//
// Reopening (logrotate): `reopenLogFiles()` — called when the primary relays SIGUSR1 — makes each
// writer close its descriptor before its next write, which then opens the path anew (a new file
// if the old one was renamed). `reopen: true` in a config does that before every write, as Kong's
// reopen does before every request's line.
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../../runtime/protocol/log.ts';
import type { TimerWheel } from '../../timers/wheel.ts';
import { countDropped } from '../../logging/drops.ts';

/** Lines waiting for the disk, per path, before new ones are dropped. */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Kong's mode: rw-r--r--. */
const MODE = 0o644;

export class FileWriter {
  readonly path: string;
  readonly #wheel: TimerWheel;
  readonly #log: Logger;
  #pending: string[] = [];
  #pendingBytes = 0;
  /** A line waiting asks for the file to be reopened before it is written. */
  #reopenNext = false;
  #file: FileHandle | null = null;
  #scheduled = false;
  #writing = false;
  #holders = 0;
  #closed = false;
  readonly #onClosed: (writer: FileWriter) => void;
  /** Lines written, and write batches (tests, diagnostics). */
  written = 0;

  constructor(path: string, wheel: TimerWheel, log: Logger, onClosed: (writer: FileWriter) => void) {
    this.path = path;
    this.#wheel = wheel;
    this.#log = log;
    this.#onClosed = onClosed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  acquire(): void {
    this.#holders++;
  }

  release(): void {
    this.#holders--;
    this.#maybeClose();
  }

  /** Appends one line (with its newline) soon; never waits. `reopen`: open the path anew first. */
  write(line: string, reopen: boolean): void {
    if (this.#pendingBytes + line.length > MAX_PENDING_BYTES) {
      countDropped('file-log', 'backlog', 1, this.#log, { path: this.path });
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (reopen) this.#reopenNext = true;
    this.#schedule();
  }

  /** SIGUSR1: the next write opens the path anew. */
  reopen(): void {
    this.#reopenNext = true;
    // An idle writer lets go of the old file now, so a rotated file is not held open until traffic comes.
    if (!this.#writing && !this.#scheduled && this.#file !== null) void this.flush();
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    this.#wheel.schedule('file-log-write', 0, flushWriter, this);
  }

  async flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#pending.length > 0 || (this.#reopenNext && this.#file !== null)) {
        if (this.#reopenNext) {
          this.#reopenNext = false;
          const old = this.#file;
          this.#file = null;
          if (old !== null) await old.close().catch(() => {});
          if (this.#pending.length === 0) break;
        }
        const lines = this.#pending;
        this.#pending = [];
        this.#pendingBytes = 0;
        try {
          this.#file ??= await open(this.path, 'a', MODE);
          await this.#file.write(lines.length === 1 ? lines[0]! : lines.join(''));
          this.written += lines.length;
        } catch (error) {
          countDropped('file-log', 'send_failed', lines.length, this.#log, { path: this.path, err: error });
          const broken = this.#file;
          this.#file = null;
          if (broken !== null) await broken.close().catch(() => {});
        }
      }
    } finally {
      this.#writing = false;
    }
    if (this.#pending.length > 0) this.#schedule();
    else this.#maybeClose();
  }

  #maybeClose(): void {
    if (this.#holders > 0 || this.#closed || this.#writing || this.#scheduled || this.#pending.length > 0) return;
    this.#closed = true;
    this.#onClosed(this);
    const file = this.#file;
    this.#file = null;
    if (file !== null) void file.close().catch(() => {});
  }
}

function flushWriter(writer: FileWriter): Promise<void> {
  return writer.flush();
}

const writers = new Map<string, FileWriter>();

/** The writer of `path` on this worker, held by the caller until it calls release(). */
export function holdWriter(path: string, wheel: TimerWheel, log: Logger): FileWriter {
  let writer = writers.get(path);
  if (writer === undefined || writer.closed) {
    writer = new FileWriter(path, wheel, log, (closed) => {
      if (writers.get(closed.path) === closed) writers.delete(closed.path);
    });
    writers.set(path, writer);
  }
  writer.acquire();
  return writer;
}

/** Every file this worker logs to is opened anew at its next write (logrotate's SIGUSR1). */
export function reopenLogFiles(): number {
  for (const writer of writers.values()) writer.reopen();
  return writers.size;
}
