// Assigns each (upstream, target) of the config its slot in the shared upstream memory (primary
// thread), before the config reaches the workers, so a worker building a balancer finds every slot
// published. A key the config keeps keeps its slot (and so its health and in-flight count). A slot
// whose target left the config is reused only after QUARANTINE_MS: workers may still be finishing
// requests on the old balancer, and their releases must land on no one else's count.
import type { Snapshot } from '../../config/types.ts';
import { targetKey, type UpstreamMemory } from '../protocol/upstream-memory.ts';

const QUARANTINE_MS = 60_000;

export interface SlotEntry {
  readonly key: string;
  readonly slot: number;
  readonly upstreamId: string;
  readonly targetId: string;
  readonly target: string;
}

export class TargetSlots {
  readonly memory: UpstreamMemory;
  /** key → entry, for the targets of the current config. */
  readonly #entries = new Map<string, SlotEntry>();
  readonly #free: number[] = [];
  readonly #quarantine: { slot: number; until: number }[] = [];
  readonly #now: () => number;

  constructor(memory: UpstreamMemory, now: () => number = Date.now) {
    this.memory = memory;
    this.#now = now;
    for (let slot = memory.capacity - 1; slot >= 0; slot--) this.#free.push(slot);
  }

  /** Assigns slots for `snapshot`'s targets and retires those of targets it no longer has. */
  sync(snapshot: Snapshot): void {
    const now = this.#now();
    while (this.#quarantine.length > 0 && this.#quarantine[0]!.until <= now) this.#free.push(this.#quarantine.shift()!.slot);
    const keep = new Set<string>();
    const targets = snapshot.entities.targets;
    for (const id in targets) {
      const target = targets[id]!;
      const key = targetKey(target.upstream.id, target.target);
      keep.add(key);
      const had = this.#entries.get(key);
      if (had !== undefined) {
        if (had.targetId !== id) this.#entries.set(key, { ...had, targetId: id });
        continue;
      }
      // Out of free slots, the oldest retired one is taken early: a shared slot whose count may
      // see a late release (clamped at 0) beats a target counted per worker.
      const slot = this.#free.pop() ?? this.#quarantine.shift()?.slot;
      if (slot === undefined || !this.memory.publish(key, slot)) {
        if (slot !== undefined) this.#free.push(slot);
        this.memory.countRefused();
        continue;
      }
      this.#entries.set(key, { key, slot, upstreamId: target.upstream.id, targetId: id, target: target.target });
    }
    for (const [key, entry] of this.#entries) {
      if (keep.has(key)) continue;
      this.memory.unpublish(key);
      this.#entries.delete(key);
      this.#quarantine.push({ slot: entry.slot, until: now + QUARANTINE_MS });
    }
  }

  get(upstreamId: string, target: string): SlotEntry | undefined {
    return this.#entries.get(targetKey(upstreamId, target));
  }

  entries(): IterableIterator<SlotEntry> {
    return this.#entries.values();
  }
}
