// Layout of the SharedArrayBuffer that carries config versions between threads.
// The primary writes the published version; worker i writes the version it has applied at slot i.
// Int32 slots and Atomics: a reader on any thread sees a whole value, never a torn one.

export const MAX_WORKERS = 256;
const PUBLISHED = 0;
const FIRST_WORKER = 1;

export function createVersionMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (FIRST_WORKER + MAX_WORKERS));
}

export class VersionMemory {
  readonly #view: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#view = new Int32Array(buffer);
  }

  get published(): number {
    return Atomics.load(this.#view, PUBLISHED);
  }

  publish(version: number): void {
    Atomics.store(this.#view, PUBLISHED, version);
  }

  applied(worker: number): number {
    return Atomics.load(this.#view, FIRST_WORKER + worker);
  }

  setApplied(worker: number, version: number): void {
    Atomics.store(this.#view, FIRST_WORKER + worker, version);
  }
}
