// The primary's piscina pool for CPU-heavy work (primary thread owns it; tasks run on pool threads).
import { Piscina } from 'piscina';
import { BACKGROUND_NICE_STEP } from './protocol/thread-priority.ts';
import type { PoolThreadData, PrepareAnswer, PrepareTask } from './tasks/prepare-config.ts';

export class TaskPool {
  readonly #piscina: Piscina;

  readonly #heapMb: number;

  /**
   * `heapMb`: the config thread's old-generation limit, the most one config may take to prepare
   * (see below). The launcher's process-wide --max-old-space-size (runtime/index.js) takes
   * precedence over it in V8, with the same 1 GiB.
   */
  constructor(heapMb = 1024, backgroundNice = BACKGROUND_NICE_STEP) {
    this.#heapMb = heapMb;
    this.#piscina = new Piscina({
      filename: new URL('./tasks/prepare-config.ts', import.meta.url).href,
      // How far below the workers the thread runs (runtime/protocol/thread-priority.ts).
      workerData: { backgroundNice } satisfies PoolThreadData,
      minThreads: 1,
      maxThreads: 1,
      // One config at a time is loaded anyway (loads are serialized); a second thread would only
      // compete with the proxy workers for the same cores.
      // The thread stays warm: piscina loads the task module when the thread starts (ajv schemas
      // compiled), the boot config JIT-warms it, and idleTimeout never retires the minThreads one.
      // That matters beyond warmth: the task keeps each entity of the last config it prepared,
      // checked, built and hashed (config/incremental.ts), so the next load redoes only what
      // changed and answers with the delta; a replaced thread starts cold and answers in full.
      // That cache is about one config's entities (the snapshot's size again on this thread).
      idleTimeout: 60_000,
      // Memory (issue #7). This thread allocates more than any other: every reload parses,
      // validates and hashes the whole config. With V8's defaults its heap grew to 160-270 MiB at
      // 1,000 routes (200-380 MiB at 10,000) and swung with each collection, though a full
      // collection leaves ~15 MiB at 1,000 routes: its young generation grew to 128 MiB, and its old
      // one to several times its live size before being collected. A 32 MiB young generation (16 MiB
      // semi-spaces, what runtime/index.js gives the other threads) and a 1 GiB old generation
      // (below 2 GiB V8 lets it grow less past its live size) hold the heap at ~70 MiB (1,000
      // routes) and 90-120 MiB (10,000), with reloads as fast as before (bench/RESULTS.memory.md).
      // 1 GiB is also the most one config may take to prepare: 100,000 routes peaked at ~390 MiB.
      // Past it the thread ends (ERR_WORKER_OUT_OF_MEMORY), that load fails, and piscina starts a
      // fresh thread. The limit must leave room for that thread to start (the task module takes
      // 10-12 MiB): piscina never replaces a thread again once a replacement dies while starting.
      resourceLimits: { maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: heapMb },
    });
  }

  async prepareConfig(task: PrepareTask): Promise<PrepareAnswer> {
    try {
      return (await this.#piscina.run(task)) as PrepareAnswer;
    } catch (error) {
      // The config, not the gateway, is at fault: reject it like an invalid one (the last good config keeps serving).
      if ((error as { code?: unknown }).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw error;
      const message = `preparing this config needed more than the ${this.#heapMb} MiB heap of the config thread`;
      return { ok: false, code: 'SLUICE_ERR_CONFIG_TOO_LARGE', errors: [{ entity_type: 'config', entity: null, field: '', message }] };
    }
  }

  get stats(): { threads: number; queueSize: number; completed: number } {
    return { threads: this.#piscina.threads.length, queueSize: this.#piscina.queueSize, completed: this.#piscina.completed };
  }

  close(): Promise<void> {
    return this.#piscina.destroy();
  }
}
