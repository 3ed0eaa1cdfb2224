// Config after config, reusing per-entity work: what a long-lived thread (the primary's piscina
// config thread) prepares every config with. Pure computation (no I/O); runs on any thread.
//
// Preparing a 10,000-route config in full takes hundreds of milliseconds, nearly all of it per
// entity: the schema (ajv, defaults), Kong's entity checks, building the canonical entity, and
// hashing it. Between two loads that an operator or a controller sends, almost every entity is the
// same. So this keeps, from the last load:
//   - per entity text (its own fields as written, JSON text, with its collection): the fields
//     after every check that looks at that entity alone (schema, defaults, entity checks, a
//     plugin's config schema and checks). Same text, same outcome: those checks are pure
//     functions of it, so an entity whose text was valid before is valid now and is not checked again.
//   - per entity id: the built entity and its hash, with what besides its text they derive from
//     (resolved references, a route's position, `_transform`); all equal, they are reused as is.
//   - the entity hashes of the last two configs prepared, so the answer can be the delta against
//     the config the caller holds (the primary's current one; two because a dry run is prepared
//     without being applied).
//   - the last config by top-level entry (`services.4` with what it nests: its raw JSON text, or
//     its key text for YAML), with its entities and the indexes of its cross-entity checks
//     (references by name and id, uniqueness keys). A config that changes a few entries in place
//     is prepared from those alone (#prepareChanged): only they are parsed, flattened, checked,
//     resolved against the indexes, built and hashed, and the indexes are updated by the delta. At
//     10,000 routes a one-route change costs ~5 ms instead of ~100.
// Any other config (entries added, removed or moved, a referenced name or id changed, TLS
// entities changed) takes the full way: every entity through the cross-entity checks (ids and
// references, generated values, uniqueness, a plugin's scope), with the per-text cache for the
// checks of an entity alone. An entity whose own text is unchanged can still be made invalid by
// another (its service removed, its name now duplicated); that is found as on a cold load.
//
// Errors: the moment any error is found, the config is prepared again from its text cold
// (config/prepare.ts), and that result is the answer. An invalid config is rare and not the fast
// path, and so its error list is, by construction, exactly the cold one (order included).
//
// Memory: entries not used by the last successful load are dropped after it, so what is kept is
// about one config's entities, whatever sequence of configs came before.
import { buildEntity } from './build.ts';
import { checkDocument, isRecord, type DocumentHead } from './document.ts';
import { checkEntity } from './entity-checks.ts';
import { checkSchema } from './entity-schema.ts';
import { ErrorList } from './errors.ts';
import { flatten, flattenEntry, newOrdinals } from './flatten.ts';
import { fillGenerated } from './generated.ts';
import { configHash, entityHash, groupHash, groupHashSorted, type EntityHashes } from './hash.ts';
import type { Item } from './item.ts';
import { migrateDocument, type MigrationReport } from './migrate.ts';
import { detectFormat, parseText, type ConfigFormat } from './parse.ts';
import { scanSkeleton, type SkeletonField } from './json-skeleton.ts';
import { checkPlugin } from './plugin-config.ts';
import type { PluginSchemas } from './plugin-schema.ts';
import { prepareConfig, type PreparedConfig, type RejectedConfig } from './prepare.ts';
import { nameOf, resolveAll, resolveItem, RESOLVE_ORDER, type Indexes } from './resolve.ts';
import { TOP_LEVEL } from './collections.ts';
import { GROUPS } from './types.ts';
import type { Delta, Entities, FlatError, GroupHashes, GroupName } from './types.ts';
import { SortedPairs } from './sorted-pairs.ts';
import { checkServiceCaRefs } from './tls-checks.ts';
import { checkUniqueness, replaceUnique, staysUnique, type UniqueIndex } from './uniqueness.ts';

/**
 * A prepared config told as the delta from `base` (the config the caller holds): the very shape a
 * worker applies (config/apply.ts), less the version numbers the caller assigns.
 */
export interface PreparedDelta extends Omit<Delta, 'version' | 'fromVersion'> {
  ok: true;
  base: string;
  migration: MigrationReport | null;
  /** As PreparedConfig's. */
  warnings?: FlatError[];
}

export type PrepareAnswer = PreparedConfig | PreparedDelta | RejectedConfig;

/**
 * How a config was prepared: the same text as the base's (nothing to do), from the entries that
 * changed, with every entry (own checks cached by text), or cold (the first load, or an error).
 */
export type PreparePath = 'same text' | 'changed entries' | 'every entry' | 'cold';

export interface PreparerOptions {
  plugins: PluginSchemas;
  /** See config/generated.ts; fixed for the preparer's life (generated values are cached with it). */
  generatorSecret?: string;
}

export interface PrepareRequest {
  format?: ConfigFormat;
  /** Hash of the config the caller holds: when this preparer made it, the answer is the delta from it. */
  base?: string;
}

/** An entity's fields after its own checks, by its text. */
interface Checked {
  value: Record<string, unknown>;
  seen: number;
}

/** An entity as last built, by group and id. */
interface Built {
  text: string;
  context: string;
  entity: Record<string, unknown>;
  hash: string;
  seen: number;
}

/** What a delta from a config needs to know about it. */
interface State {
  hash: string;
  groupHashes: GroupHashes;
  /**
   * Null once a later config took this one's records over and edited them in place (copying a
   * 10,000-entry record cost more than all the rest of a one-route change): `undo` then says how
   * to get them back from that config's (hashesOf), which only a caller that still holds this
   * config needs (it prepared another one beside it: a dry run).
   */
  entityHashes: EntityHashes | null;
  undo: { next: State; changes: [GroupName, string, string | undefined][] } | null;
  /** Groups whose records are this thread's alone (not also in an answer sent), so may be edited in place. */
  owned: ReadonlySet<GroupName>;
  counts: Record<GroupName, number>;
  /** A group's ids sorted (as groupHash sorts them), once computed; reused while the id set stays. */
  sorted: Partial<Record<GroupName, string[]>>;
  text: string;
  format: ConfigFormat | undefined;
}

/** One top-level entry of the last config (`services.4` with what it nests), as prepared. */
interface Entry {
  /** Its text (the entity key function's, of the entry as parsed, before any default was filled). */
  text: string;
  /** Its entities, as flattened, checked and resolved (contiguous in the config's item order). */
  items: Item[];
  /** Each item's own-fields key in #checked. */
  keys: string[];
}

/**
 * The last config prepared, by top-level entry, with the indexes its cross-entity checks built:
 * what lets the next config be prepared from the entries that changed only (#prepareChanged).
 */
interface Layout {
  state: State;
  key: KeyFunction;
  /** The document's keys and scalar values, and each collection's length. */
  head: string;
  /** Entries known by their raw JSON text (json-skeleton.ts), else by their key function's text. */
  raw: boolean;
  doc: DocumentHead;
  entries: Map<string, Entry[]>;
  indexes: Indexes;
  unique: UniqueIndex;
  /** Per group changed since, its sorted pairs (their group hash follows a change in O(chunk)). */
  pairs: Map<GroupName, SortedPairs>;
}

/** How many configs' hashes are kept: the current one, and one prepared beside it (a dry run). */
const STATES = 2;

export class ConfigPreparer {
  readonly #options: PreparerOptions;
  /** By collection (group, or credential kind), then text. */
  readonly #checked = new Map<string, Map<string, Checked>>();
  readonly #built = Object.fromEntries(GROUPS.map((g) => [g, new Map<string, Built>()])) as Record<GroupName, Map<string, Built>>;
  #states: State[] = [];
  #layout: Layout | null = null;
  #load = 0;
  #path: PreparePath = 'cold';

  constructor(options: PreparerOptions) {
    this.#options = options;
  }

  get options(): PreparerOptions {
    return this.#options;
  }

  /** Entries held: about one config's entities after any sequence of loads. */
  get cacheSize(): { checked: number; built: number; states: number } {
    let built = 0;
    for (const g of GROUPS) built += this.#built[g].size;
    let checked = 0;
    for (const m of this.#checked.values()) checked += m.size;
    return { checked, built, states: this.#states.length };
  }

  /** How the last config was prepared (for tests and figures). */
  get lastPath(): PreparePath {
    return this.#path;
  }

  prepare(text: string, request: PrepareRequest = {}): PrepareAnswer {
    const base = request.base === undefined ? undefined : this.#states.findLast((s) => s.hash === request.base);
    if (base !== undefined && base.text === text && base.format === request.format) {
      // The very text the caller holds the result of (a controller re-posting its config every few
      // seconds, a SIGHUP without an edit): nothing changed, without parsing it again.
      this.#path = 'same text';
      return { ok: true, base: base.hash, hash: base.hash, groupHashes: base.groupHashes, upserts: {}, removes: {}, upsertHashes: {}, migration: null };
    }
    // JSON: its entries by their raw text, so that only changed ones need parsing (json-skeleton.ts).
    const skeleton = (request.format ?? detectFormat(text)) === 'json' ? scanSkeleton(text, COLLECTION_KEYS) : null;
    if (skeleton !== null && this.#layout?.raw === true) {
      const source = rawSource(skeleton);
      const answer = source === null ? null : this.#prepareChanged(source, MINUS_ZERO.test(text) ? exactKey : jsonKey, text, request.format, base);
      if (answer !== null) return answer;
    }
    const parsed = parseText(text, request.format);
    this.#path = 'cold';
    if (!parsed.ok) return { ok: false, errors: parsed.errors, code: 'SLUICE_ERR_CONFIG_PARSE' };
    // YAML can hold numbers JSON.stringify cannot write (.nan and .inf become null, -0 becomes 0,
    // and JSON text can hold -0 too): such texts are keyed with them spelled out, so `.nan` never
    // reuses the checks of `null`.
    const key = parsed.format === 'yaml' || MINUS_ZERO.test(text) ? exactKey : jsonKey;
    const changed = this.#layout?.raw === false && isRecord(parsed.value) ? this.#prepareChanged(docSource(parsed.value, key), key, text, request.format, base) : null;
    return changed ?? this.#prepareParsed(parsed.value, key, text, request.format, base, skeleton) ?? this.#cold(text, request.format);
  }

  /** Drops every cached entity and config state (the next load is prepared cold). */
  clear(): void {
    this.#checked.clear();
    for (const g of GROUPS) this.#built[g].clear();
    this.#states = [];
    this.#layout = null;
  }

  #cold(text: string, format: ConfigFormat | undefined): PrepareAnswer {
    return prepareConfig(text, { format, plugins: this.#options.plugins, generatorSecret: this.#options.generatorSecret });
  }

  /** The answer, or null when the config has an error (the caller then prepares it cold). */
  #prepareParsed(doc: unknown, key: KeyFunction, text: string, format: ConfigFormat | undefined, base: State | undefined, skeleton: SkeletonField[] | null): PrepareAnswer | null {
    this.#layout = null;
    const errors = new ErrorList();
    const migration = migrateDocument(doc);
    const head = checkDocument(doc, errors);
    if (head === null || errors.size > 0) return null;
    // The entries' texts before any check fills a default into them (a plugin's nested config).
    const headText = migration === null ? headOf(doc as Record<string, unknown>) : null;
    // Entries known by their raw text when the skeleton agrees with the document, else by their key text.
    const raw = skeleton === null ? null : new Map(skeleton.filter((f) => f.entries !== null).map((f) => [f.key, f.entries as string[]]));
    if (raw !== null) {
      for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
        if (COLLECTION_KEYS.has(k) && Array.isArray(v) && raw.get(k)?.length !== v.length) raw.clear();
      }
    }
    const entries = new Map<string, Entry[]>();
    const bounds: [Entry, number, number][] = [];
    const items = flatten(doc as Record<string, unknown>, errors, (k, i, from, to) => {
      if (headText === null) return;
      let list = entries.get(k);
      if (list === undefined) entries.set(k, (list = []));
      const text = raw !== null ? raw.get(k)?.[i] : key(((doc as Record<string, unknown>)[k] as Record<string, unknown>[])[i] as Record<string, unknown>);
      const entry: Entry = { text: text ?? '', items: [], keys: [] };
      list.push(entry);
      bounds.push([entry, from, to]);
    });
    if (errors.size > 0) return null;
    const load = ++this.#load;
    const texts = new Array<string>(items.length);
    let marked = 0;
    const reused = new Array<boolean>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      const t = key(item.value);
      texts[i] = t;
      const collection = item.kind ?? item.group;
      let memo = this.#checked.get(collection);
      if (memo === undefined) this.#checked.set(collection, (memo = new Map()));
      const checked = memo.get(t);
      if (checked !== undefined) {
        if (checked.seen !== load) {
          checked.seen = load;
          marked++;
        }
        // Nothing below writes into an entity's fields but the generated values: only a kind
        // that may get them has its own copy.
        item.value = item.kind !== null && GENERATES.has(item.kind) ? { ...checked.value } : checked.value;
        reused[i] = true;
      } else {
        reused[i] = false;
        checkSchema(item, errors);
      }
    }
    // As validate.ts, stage by stage; only entities met for the first time are checked on their own.
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      if (!reused[i] && !item.hasFailed('')) checkEntity(item, errors);
    }
    const indexes = resolveAll(items, errors);
    checkServiceCaRefs(
      items.filter((item) => item.group === 'services'),
      new Set(items.filter((item) => item.group === 'ca_certificates').map((item) => item.id)),
      errors,
    );
    fillGenerated(items, this.#options.generatorSecret);
    const unique = checkUniqueness(items, errors);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      if (item.group === 'plugins') checkPlugin(item, this.#options.plugins, errors, reused[i]);
    }
    if (errors.size > 0) return null;

    for (let i = 0; i < items.length; i++) {
      if (reused[i]) continue;
      const item = items[i] as Item;
      const value = { ...item.value };
      for (const f of item.generated) delete value[f];
      const memo = this.#checked.get(item.kind ?? item.group) as Map<string, Checked>;
      // Two entities of the same text in one file (a target in every upstream) share one entry.
      if (!memo.has(texts[i] as string)) marked++;
      memo.set(texts[i] as string, { value, seen: load });
    }
    let size = 0;
    for (const memo of this.#checked.values()) size += memo.size;
    if (size > marked) {
      for (const memo of this.#checked.values()) for (const [k, v] of memo) if (v.seen !== load) memo.delete(k);
    }
    const answer = this.#build(items, texts, head, base, load, text, format, migration, errors.warnings);
    this.#path = 'every entry';
    if (headText !== null) {
      for (const [entry, from, to] of bounds) {
        entry.items = items.slice(from, to);
        entry.keys = texts.slice(from, to);
      }
      // A cleared raw map (the skeleton disagreed): no layout rather than one with empty texts.
      const agreed = raw === null || raw.size > 0 || entries.size === 0;
      if (agreed) this.#layout = { state: this.#states[this.#states.length - 1] as State, key, raw: raw !== null, head: headText, doc: head, entries, indexes, unique, pairs: new Map() };
    }
    return answer;
  }

  /**
   * The config from the last one's entries (the layout) and the few top-level entries whose text
   * changed, in time proportional to those: only they are flattened, checked, resolved, built and
   * hashed, and the cross-entity checks ask the layout's indexes about them alone. Taken only when
   * that gives the very config a full preparation would, which holds when:
   *   - the caller holds the layout's config (the answer is a delta from it), the document's head
   *     is the same and every collection has as many entries (so no entity's position moves);
   *   - each changed entry flattens to entities of the same collections in the same order (same
   *     positions, so the same `created_at` everywhere);
   *   - an entity another may reference (service, route, upstream, consumer) keeps its id, its name
   *     and its rank among unnamed siblings, so every reference and derived id elsewhere stays;
   *     certificates, SNIs and CA certificates are not among the changes;
   *   - the changed entities pass every check: their own, references, uniqueness against the rest
   *     (the layout's index without the entities they replace), scope.
   * Anything else answers null and the config is prepared in full (#prepareParsed), which also
   * reports every error exactly as a cold load does.
   */
  #prepareChanged(source: Source, key: KeyFunction, text: string, format: ConfigFormat | undefined, base: State | undefined): PrepareAnswer | null {
    const layout = this.#layout;
    if (layout === null || base === undefined || layout.state !== base || layout.key !== key || layout.raw !== source.raw) return null;
    if (source.head() !== layout.head) return null;
    const changes: { key: string; index: number; old: Entry; text: string; items: Item[] }[] = [];
    let entities = 0;
    for (const [k, entries] of layout.entries) {
      for (let i = 0; i < entries.length; i++) {
        const t = source.text(k, i);
        const old = entries[i] as Entry;
        if (t === old.text) continue;
        entities += old.items.length;
        if (entities > MAX_CHANGED) return null;
        changes.push({ key: k, index: i, old, text: t, items: [] });
      }
    }
    const errors = new ErrorList();
    const added: Item[] = [];
    const gone = new Set<Item>();
    for (const change of changes) {
      const value = source.value(change.key, change.index);
      if (value === UNREADABLE) return null;
      flattenEntry(value, change.key, change.index, newOrdinals(), change.items, errors);
      const olds = change.old.items;
      if (errors.size > 0 || change.items.length !== olds.length) return null;
      for (let i = 0; i < olds.length; i++) {
        const item = change.items[i] as Item;
        const old = olds[i] as Item;
        if (item.collection !== old.collection || !CHANGEABLE.has(item.group)) return null;
        item.ordinal = old.ordinal;
        added.push(item);
        gone.add(old);
      }
    }
    // Own checks, or their outcome for a text met before.
    const keys = new Array<string>(added.length);
    const reused = new Array<boolean>(added.length);
    for (let i = 0; i < added.length; i++) {
      const item = added[i] as Item;
      const t = key(item.value);
      keys[i] = t;
      const checked = this.#checked.get(item.kind ?? item.group)?.get(t);
      reused[i] = checked !== undefined;
      if (checked !== undefined) item.value = item.kind !== null && GENERATES.has(item.kind) ? { ...checked.value } : checked.value;
      else checkSchema(item, errors);
    }
    for (let i = 0; i < added.length; i++) {
      const item = added[i] as Item;
      if (!reused[i] && !item.hasFailed('')) checkEntity(item, errors);
    }
    if (errors.size > 0) return null;
    // References and ids against the layout's indexes, group by group as resolveAll goes; an
    // unnamed entity's rank counts on from where the entity it replaces counted.
    for (const group of RESOLVE_ORDER) {
      for (const change of changes) {
        const unnamed = new Map<string, number>();
        for (const old of change.old.items) if (old.group === group && old.rank >= 0 && !unnamed.has(old.rankScope)) unnamed.set(old.rankScope, old.rank);
        for (const item of change.items) if (item.group === group) resolveItem(item, layout.indexes, unnamed, errors);
      }
    }
    if (errors.size > 0) return null;
    for (const change of changes) {
      for (let i = 0; i < change.items.length; i++) {
        const item = change.items[i] as Item;
        const old = change.old.items[i] as Item;
        if (REFERENCED.has(item.group) && (item.id !== old.id || nameOf(item) !== nameOf(old) || item.rank !== old.rank || item.rankScope !== old.rankScope)) return null;
      }
    }
    const services = added.filter((item) => item.group === 'services');
    if (services.length > 0) checkServiceCaRefs(services, new Set(layout.unique.ids.get('ca_certificates')?.keys()), errors);
    fillGenerated(added, this.#options.generatorSecret);
    if (!staysUnique(layout.unique, gone, added)) return null;
    for (let i = 0; i < added.length; i++) {
      const item = added[i] as Item;
      if (item.group === 'plugins') checkPlugin(item, this.#options.plugins, errors, reused[i]);
    }
    if (errors.size > 0) return null;

    // Valid: the layout becomes this config's.
    const load = this.#load;
    const keep = new Set(keys);
    for (const change of changes) {
      change.old.keys.forEach((k, i) => {
        const old = change.old.items[i] as Item;
        if (!keep.has(k)) this.#checked.get(old.kind ?? old.group)?.delete(k);
      });
    }
    for (let i = 0; i < added.length; i++) {
      if (reused[i]) continue;
      const item = added[i] as Item;
      const value = { ...item.value };
      for (const f of item.generated) delete value[f];
      let memo = this.#checked.get(item.kind ?? item.group);
      if (memo === undefined) this.#checked.set(item.kind ?? item.group, (memo = new Map()));
      memo.set(keys[i] as string, { value, seen: load });
    }
    for (const old of gone) {
      const index = layout.indexes.get(old.group);
      if (index === undefined) continue;
      if (index.byId.get(old.id) === old) index.byId.delete(old.id);
      const name = nameOf(old);
      if (typeof name === 'string' && index.byName.get(name) === old) index.byName.delete(name);
    }
    for (const item of added) {
      const index = layout.indexes.get(item.group);
      if (index === undefined) continue;
      if (!index.byId.has(item.id)) index.byId.set(item.id, item);
      const name = nameOf(item);
      if (typeof name === 'string' && !index.byName.has(name)) index.byName.set(name, item);
    }
    replaceUnique(layout.unique, [...gone], added);
    let offset = 0;
    for (const change of changes) {
      const n = change.items.length;
      (layout.entries.get(change.key) as Entry[])[change.index] = { text: change.text, items: change.items, keys: keys.slice(offset, offset + n) };
      offset += n;
    }

    // Built and hashed: the changed entities only; the rest of the delta from the base follows.
    const baseHashes = hashesOf(base);
    const upserts: Partial<Record<GroupName, unknown[]>> = {};
    const upsertHashes: Partial<Record<GroupName, Record<string, string>>> = {};
    const now = new Map<GroupName, Map<string, string>>();
    for (let i = 0; i < added.length; i++) {
      const item = added[i] as Item;
      const g = item.group;
      const t = keys[i] as string;
      const context = contextOf(item, layout.doc);
      const memo = this.#built[g];
      let built = memo.get(item.id);
      if (built === undefined || built.text !== t || built.context !== context) {
        const entity = buildEntity(item, layout.doc);
        built = { text: t, context, entity, hash: entityHash(entity), seen: load };
        memo.set(item.id, built);
      }
      let ids = now.get(g);
      if (ids === undefined) now.set(g, (ids = new Map()));
      ids.set(item.id, built.hash);
      if (baseHashes[g][item.id] === built.hash) continue;
      (upserts[g] ??= []).push(built.entity);
      (upsertHashes[g] ??= {})[item.id] = built.hash;
    }
    const removes: Partial<Record<GroupName, string[]>> = {};
    for (const old of gone) {
      if (now.get(old.group)?.has(old.id) === true) continue;
      (removes[old.group] ??= []).push(old.id);
      this.#built[old.group].delete(old.id);
    }
    const entityHashes = { ...baseHashes };
    const groupHashes = { ...base.groupHashes };
    const sorted: State['sorted'] = { ...base.sorted };
    const owned = new Set(base.owned);
    const undo: [GroupName, string, string | undefined][] = [];
    for (const g of GROUPS) {
      const gone = removes[g];
      if (upserts[g] === undefined && gone === undefined) continue;
      let pairs = layout.pairs.get(g);
      if (pairs === undefined) layout.pairs.set(g, (pairs = new SortedPairs((base.sorted[g] ??= Object.keys(baseHashes[g]).sort()), baseHashes[g])));
      // Edited in place when no answer holds the record; the base keeps an undo list instead.
      const hashes = owned.has(g) ? baseHashes[g] : { ...baseHashes[g] };
      owned.add(g);
      for (const id of gone ?? []) {
        undo.push([g, id, hashes[id]]);
        delete hashes[id];
        pairs.delete(id);
      }
      let added = false;
      for (const id in upsertHashes[g]) {
        const had = hashes[id];
        const now = upsertHashes[g]?.[id] as string;
        undo.push([g, id, had]);
        added ||= had === undefined;
        hashes[id] = now;
        pairs.set(id, now);
      }
      entityHashes[g] = hashes;
      // The sorted ids stay while the id set does; else sorted again if a full preparation wants them.
      if (gone !== undefined || added) delete sorted[g];
      groupHashes[g] = pairs.digest();
    }
    const hash = configHash(groupHashes);
    const state: State = { hash, groupHashes, entityHashes, undo: null, owned, counts: base.counts, sorted, text, format };
    if (undo.length > 0) {
      base.entityHashes = null;
      base.undo = { next: state, changes: undo };
    }
    this.#states.push(state);
    if (this.#states.length > STATES) this.#states.shift();
    layout.state = state;
    this.#path = 'changed entries';
    const said = errors.warnings.length === 0 ? {} : { warnings: errors.warnings };
    return { ok: true, base: base.hash, hash, groupHashes, upserts: upserts as Delta['upserts'], removes, upsertHashes, migration: null, ...said };
  }

  #build(
    items: readonly Item[],
    texts: readonly string[],
    head: DocumentHead,
    base: State | undefined,
    load: number,
    text: string,
    format: ConfigFormat | undefined,
    migration: MigrationReport | null,
    warnings: FlatError[],
  ): PrepareAnswer {
    const baseHashes = base === undefined ? null : hashesOf(base);
    const entityHashes = {} as EntityHashes;
    const entities = {} as Record<GroupName, Record<string, unknown>>;
    const counts = {} as Record<GroupName, number>;
    for (const g of GROUPS) {
      entityHashes[g] = {};
      entities[g] = {};
      counts[g] = 0;
    }
    const upserts: Partial<Record<GroupName, unknown[]>> = {};
    const upsertHashes: Partial<Record<GroupName, Record<string, string>>> = {};
    /** Per group: how many upserted ids the base already had (the rest are additions). */
    const replaced = {} as Record<GroupName, number>;
    for (const g of GROUPS) replaced[g] = 0;

    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      const g = item.group;
      const t = texts[i] as string;
      const context = contextOf(item, head);
      const memo = this.#built[g];
      let built = memo.get(item.id);
      if (built === undefined || built.text !== t || built.context !== context) {
        const entity = buildEntity(item, head);
        built = { text: t, context, entity, hash: entityHash(entity), seen: load };
        memo.set(item.id, built);
      } else {
        built.seen = load;
      }
      entityHashes[g][item.id] = built.hash;
      counts[g]++;
      if (base === undefined) {
        entities[g][item.id] = built.entity;
        continue;
      }
      const had = (baseHashes as EntityHashes)[g][item.id];
      if (had === built.hash) continue;
      if (had !== undefined) replaced[g]++;
      (upserts[g] ??= []).push(built.entity);
      (upsertHashes[g] ??= {})[item.id] = built.hash;
    }
    // Ids are unique per group in a valid config: every id met was marked once. Drop the rest.
    for (const g of GROUPS) {
      const memo = this.#built[g];
      if (memo.size > counts[g]) for (const [id, v] of memo) if (v.seen !== load) memo.delete(id);
    }

    const groupHashes = {} as GroupHashes;
    const sorted: State['sorted'] = {};
    const removes: Partial<Record<GroupName, string[]>> = {};
    for (const g of GROUPS) {
      const hashes = entityHashes[g];
      if (base === undefined) {
        groupHashes[g] = groupHash(hashes);
        continue;
      }
      const changed = upserts[g]?.length ?? 0;
      // Every id of the base still here: `count - additions` of them.
      const kept = counts[g] - (changed - replaced[g]);
      if (kept < base.counts[g]) {
        const gone: string[] = [];
        for (const id in (baseHashes as EntityHashes)[g]) if (hashes[id] === undefined) gone.push(id);
        removes[g] = gone;
      }
      if (changed === 0 && removes[g] === undefined) {
        groupHashes[g] = base.groupHashes[g];
        if (base.sorted[g] !== undefined) sorted[g] = base.sorted[g];
      } else if (changed === replaced[g] && removes[g] === undefined) {
        // Same ids, some entities changed: the base's sorted ids serve.
        const ids = (base.sorted[g] ??= Object.keys((baseHashes as EntityHashes)[g]).sort());
        sorted[g] = ids;
        groupHashes[g] = groupHashSorted(ids, hashes);
      } else {
        const ids = Object.keys(hashes).sort();
        sorted[g] = ids;
        groupHashes[g] = groupHashSorted(ids, hashes);
      }
    }
    const hash = configHash(groupHashes);
    // A full answer sends these records out (to a caller in this thread, the very objects): not owned.
    this.#states.push({ hash, groupHashes, entityHashes, undo: null, owned: base === undefined ? new Set() : new Set(GROUPS), counts, sorted, text, format });
    if (this.#states.length > STATES) this.#states.shift();
    // Warnings (an expired certificate) come from entities checked this time: said once per new text.
    const said = warnings.length === 0 ? {} : { warnings };
    if (base === undefined) return { ok: true, entities: entities as Entities, entityHashes, groupHashes, hash, migration, ...said };
    return { ok: true, base: base.hash, hash, groupHashes, upserts: upserts as Delta['upserts'], removes, upsertHashes, migration, ...said };
  }

}

/** A config's entity hashes, got back through the undo list of the config that took them over. */
function hashesOf(state: State): EntityHashes {
  if (state.entityHashes !== null) return state.entityHashes;
  const { next, changes } = state.undo as NonNullable<State['undo']>;
  const later = hashesOf(next);
  const hashes = { ...later };
  const copied = new Set<GroupName>();
  for (let i = changes.length - 1; i >= 0; i--) {
    const [g, id, had] = changes[i] as [GroupName, string, string | undefined];
    if (!copied.has(g)) {
      hashes[g] = { ...later[g] };
      copied.add(g);
    }
    if (had === undefined) delete hashes[g][id];
    else hashes[g][id] = had;
  }
  state.entityHashes = hashes;
  state.undo = null;
  // Its records are copies now, and `next` may go on editing its own.
  state.owned = new Set(GROUPS);
  return hashes;
}

/** Past this many entities in changed entries, a config is prepared in full (#prepareChanged). */
const MAX_CHANGED = 2_000;

/** Groups whose entities may change in place on the incremental path (no TLS entities). */
const CHANGEABLE = new Set<GroupName>(['services', 'routes', 'upstreams', 'targets', 'consumers', 'credentials', 'plugins']);

/** Groups other entities reference by name or id (resolve.ts), or whose rank derives ids. */
const REFERENCED = new Set<GroupName>(['services', 'routes', 'upstreams', 'consumers']);

type KeyFunction = (value: Record<string, unknown>) => string;

/** The top-level collection keys: the ones whose entries a skeleton splits. */
const COLLECTION_KEYS: ReadonlySet<string> = new Set(TOP_LEVEL);

/** An entry whose raw text does not parse: the whole text is parsed instead, for its error. */
const UNREADABLE = Symbol('unreadable');

/** A config's head and entries, from the parsed document or from its JSON skeleton. */
interface Source {
  raw: boolean;
  head(): string;
  /** Entry `i` of collection `key` as it is compared with the layout's. */
  text(key: string, i: number): string;
  value(key: string, i: number): unknown;
}

function docSource(doc: Record<string, unknown>, key: KeyFunction): Source {
  return {
    raw: false,
    head: () => headOf(doc),
    text: (k, i) => key((doc[k] as Record<string, unknown>[])[i] as Record<string, unknown>),
    value: (k, i) => (doc[k] as unknown[])[i],
  };
}

/** As docSource, read from the skeleton; null when a field outside the collections does not parse. */
function rawSource(fields: readonly SkeletonField[]): Source | null {
  const byKey = new Map<string, string[]>();
  let head = '';
  for (const f of fields) {
    let shown: string;
    if (f.entries !== null) {
      byKey.set(f.key, f.entries);
      shown = `[${f.entries.length}]`;
    } else {
      try {
        shown = String(JSON.stringify(JSON.parse(f.raw)));
      } catch {
        return null;
      }
    }
    head += `${JSON.stringify(f.key)}:${shown},`;
  }
  return {
    raw: true,
    head: () => head,
    text: (k, i) => byKey.get(k)?.[i] ?? '',
    value: (k, i) => {
      try {
        return JSON.parse(byKey.get(k)?.[i] ?? '') as unknown;
      } catch {
        return UNREADABLE;
      }
    },
  };
}

/** The document's own fields and the length of each collection (not the entries): equal heads, same entry positions. */
function headOf(doc: Record<string, unknown>): string {
  let head = '';
  for (const k of Object.keys(doc)) {
    const v = doc[k];
    head += `${JSON.stringify(k)}:${(TOP_LEVEL as readonly string[]).includes(k) && Array.isArray(v) ? `[${v.length}]` : String(JSON.stringify(v))},`;
  }
  return head;
}

/** Credential kinds that may get generated values (config/generated.ts). */
const GENERATES = new Set(['keyauth_credentials', 'jwt_secrets', 'hmacauth_credentials']);

/** What an entity built from unchanged fields and id can still differ by. */
function contextOf(item: Item, head: DocumentHead): string {
  let c = item.group === 'routes' ? String(item.ordinal) : (item.kind ?? '');
  for (const f of item.collection.refs) c += `\0${item.resolved[f] ?? ''}`;
  if (item.kind === 'basicauth_credentials') c += head.transform ? '\0t' : '\0f';
  return c;
}

function jsonKey(value: Record<string, unknown>): string {
  return JSON.stringify(value);
}

/** A JSON number that may be -0 (and some that are not: they only take the slower key). */
const MINUS_ZERO = /[:,[]\s*-0/;

function exactKey(value: Record<string, unknown>): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `\0number ${Object.is(v, -0) ? '-0' : String(v)}` : v));
}
