// The primary's piscina pool for CPU-heavy work (primary thread owns it; tasks run on pool threads).
import { Piscina } from 'piscina';
import type { PrepareAnswer, PrepareTask } from './tasks/prepare-config.ts';

export class TaskPool {
  readonly #piscina: Piscina;

  constructor() {
    this.#piscina = new Piscina({
      filename: new URL('./tasks/prepare-config.ts', import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      // One config at a time is loaded anyway (loads are serialized); a second thread would only
      // compete with the proxy workers for the same cores.
      // The thread stays warm: piscina loads the task module when the thread starts (ajv schemas
      // compiled), the boot config JIT-warms it, and idleTimeout never retires the minThreads one.
      // That matters beyond warmth: the task keeps the hashes of the last config it prepared, which
      // lets it answer with only the changes (tasks/prepare-config.ts).
      idleTimeout: 60_000,
    });
  }

  prepareConfig(task: PrepareTask): Promise<PrepareAnswer> {
    return this.#piscina.run(task) as Promise<PrepareAnswer>;
  }

  get stats(): { threads: number; queueSize: number; completed: number } {
    return { threads: this.#piscina.threads.length, queueSize: this.#piscina.queueSize, completed: this.#piscina.completed };
  }

  close(): Promise<void> {
    return this.#piscina.destroy();
  }
}
