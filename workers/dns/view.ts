// A worker's view of the process's DNS answers (worker thread): read from the shared DNS memory
// (runtime/protocol/dns-memory.ts) when a balancer is built and when the answers move, never per
// request. `poll` runs on the worker's timer wheel; one Atomics.load when nothing changed.
import { DnsMemory, type DnsAnswers } from '../../runtime/protocol/dns-memory.ts';

/** How often a worker looks for new answers (the resolver refreshes before expiry, so this is the lag). */
export const DNS_POLL_MS = 200;

export class DnsView {
  readonly #memory: DnsMemory;
  #sequence = -1;
  answers: DnsAnswers = {};

  constructor(buffer: SharedArrayBuffer) {
    this.#memory = new DnsMemory(buffer);
    this.poll();
  }

  /** Names whose answers changed since the last poll, or null when nothing did. */
  poll(): Set<string> | null {
    if (this.#memory.sequence === this.#sequence) return null;
    const read = this.#memory.read();
    if (read === null) return null; // a write in progress: next time
    const before = this.answers;
    this.answers = read.answers;
    this.#sequence = read.sequence;
    const changed = new Set<string>();
    for (const name in read.answers) if (JSON.stringify(before[name]) !== JSON.stringify(read.answers[name])) changed.add(name);
    for (const name in before) if (!(name in read.answers)) changed.add(name);
    return changed.size === 0 ? null : changed;
  }
}
