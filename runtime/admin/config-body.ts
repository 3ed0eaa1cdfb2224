// The 201 body of POST /config (primary thread): every loaded entity, by collection and id, in
// Kong's shape (9 MB of JSON at 10,000 routes).
//
// Built on every load from scratch, that body cost more than preparing a one-route change. So it
// is kept between loads, per config store, as encoded chunks of a few hundred entities each, and a
// load whose delta follows the version the chunks show re-encodes only the chunks holding an
// upserted or removed entity: a one-route change costs one chunk, not 10,000 routes. Any other
// load (the first, one after a load that answered no body, a different store) builds it anew.
// Each entity is serialized once (by object: an unchanged entity is the same object load after
// load). An entity's `created_at`/`updated_at` here are the time it was first loaded as it is (as
// a Kong database keeps them), not the time of every load.
import { GROUPS } from '../../config/types.ts';
import type { Delta, GroupName, Snapshot } from '../../config/types.ts';
import { collectionOf, kongShape } from './kong-shapes.ts';

/** Entities per chunk: small enough that re-encoding one is cheap, large enough to write few. */
const CHUNK = 256;

interface Chunk {
  texts: Map<string, string>;
  /** The texts joined and encoded; null once one of them changed. */
  encoded: Buffer | null;
}

interface Collection {
  name: string;
  chunks: Chunk[];
}

interface GroupParts {
  /** In the order they were first met (credentials: one per kind). */
  collections: Collection[];
  /** Where each id's text is. */
  at: Map<string, { collection: Collection; chunk: Chunk }>;
}

export class LoadedBody {
  #version = -1;
  #groups = new Map<GroupName, GroupParts>();
  readonly #texts = new WeakMap<object, string>();

  /**
   * The body's parts for `snapshot`: patched by `delta` when it follows the version these parts
   * show, else built from the snapshot. `answer` (Sluice's figures) closes the object.
   */
  parts(snapshot: Snapshot, delta: Delta | null, answer: Record<string, unknown>): Buffer[] {
    if (delta !== null && delta.fromVersion === this.#version && this.#version >= 0) this.#patch(snapshot, delta);
    else this.#build(snapshot);
    this.#version = snapshot.version;
    const pieces: Buffer[] = [];
    let first = true;
    const put = (text: string): void => {
      pieces.push(Buffer.from(first ? `{${text}` : `,${text}`));
      first = false;
    };
    for (const group of GROUPS) {
      for (const collection of this.#groups.get(group)?.collections ?? []) {
        let opened = false;
        for (const chunk of collection.chunks) {
          if (chunk.texts.size === 0) continue;
          chunk.encoded ??= Buffer.from([...chunk.texts.values()].join(','));
          if (!opened) put(`${JSON.stringify(collection.name)}:{`);
          else pieces.push(COMMA);
          opened = true;
          pieces.push(chunk.encoded);
        }
        if (opened) pieces.push(CLOSE);
      }
    }
    const rest = JSON.stringify(answer).slice(1, -1);
    if (rest !== '') put(rest);
    if (first) pieces.push(Buffer.from('{'));
    pieces.push(END);
    return pieces;
  }

  #build(snapshot: Snapshot): void {
    this.#groups = new Map();
    for (const group of GROUPS) {
      const parts: GroupParts = { collections: [], at: new Map() };
      this.#groups.set(group, parts);
      const records = snapshot.entities[group] as Record<string, object>;
      const now = Date.now() / 1000;
      for (const id in records) this.#put(parts, group, id, records[id] as object, now);
    }
  }

  #patch(snapshot: Snapshot, delta: Delta): void {
    const now = Date.now() / 1000;
    for (const group of GROUPS) {
      const parts = this.#groups.get(group) as GroupParts;
      for (const id of delta.removes[group] ?? []) this.#drop(parts, id);
      const records = snapshot.entities[group] as Record<string, object>;
      for (const upserted of (delta.upserts[group] ?? []) as { id: string }[]) {
        const entity = records[upserted.id];
        if (entity !== undefined) this.#put(parts, group, upserted.id, entity, now);
        else this.#drop(parts, upserted.id);
      }
    }
  }

  #drop(parts: GroupParts, id: string): void {
    const where = parts.at.get(id);
    if (where === undefined) return;
    where.chunk.texts.delete(id);
    where.chunk.encoded = null;
    parts.at.delete(id);
  }

  #put(parts: GroupParts, group: GroupName, id: string, entity: object, now: number): void {
    const text = this.#text(group, id, entity, now);
    const name = collectionOf(group, entity);
    const where = parts.at.get(id);
    if (where !== undefined && where.collection.name === name) {
      where.chunk.texts.set(id, text);
      where.chunk.encoded = null;
      return;
    }
    if (where !== undefined) this.#drop(parts, id);
    let collection = parts.collections.find((c) => c.name === name);
    if (collection === undefined) parts.collections.push((collection = { name, chunks: [] }));
    let chunk = collection.chunks[collection.chunks.length - 1];
    if (chunk === undefined || chunk.texts.size >= CHUNK) collection.chunks.push((chunk = { texts: new Map(), encoded: null }));
    chunk.texts.set(id, text);
    chunk.encoded = null;
    parts.at.set(id, { collection, chunk });
  }

  #text(group: GroupName, id: string, entity: object, now: number): string {
    let text = this.#texts.get(entity);
    if (text !== undefined) return text;
    // Kong's timestamps: seconds, targets with milliseconds; credentials have no updated_at.
    const stamps = group === 'targets' ? `"created_at":${now},"updated_at":${now}` : group === 'credentials' ? `"created_at":${Math.floor(now)}` : `"created_at":${Math.floor(now)},"updated_at":${Math.floor(now)}`;
    const shaped = kongShape(group, entity, 0);
    delete shaped['created_at'];
    delete shaped['updated_at'];
    const fields = JSON.stringify(shaped).slice(1, -1);
    text = `${JSON.stringify(id)}:{${stamps}${fields === '' ? '' : ','}${fields}}`;
    this.#texts.set(entity, text);
    return text;
  }
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}');
const END = Buffer.from('}\n');
