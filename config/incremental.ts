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
// Everything that depends on other entities runs on every entity every time, with Maps: ids and
// references (resolve.ts), generated values, uniqueness, a plugin's scope. An entity whose own
// text is unchanged can still be made invalid by another (its service removed, its name now
// duplicated); that is found as on a cold load.
//
// Errors: the moment any error is found, the config is prepared again from its text cold
// (config/prepare.ts), and that result is the answer. An invalid config is rare and not the fast
// path, and so its error list is, by construction, exactly the cold one (order included).
//
// Memory: entries not used by the last successful load are dropped after it, so what is kept is
// about one config's entities, whatever sequence of configs came before.
import { buildEntity } from './build.ts';
import { checkDocument, type DocumentHead } from './document.ts';
import { checkEntity } from './entity-checks.ts';
import { checkSchema } from './entity-schema.ts';
import { ErrorList } from './errors.ts';
import { flatten } from './flatten.ts';
import { fillGenerated } from './generated.ts';
import { configHash, entityHash, groupHash, groupHashSorted, type EntityHashes } from './hash.ts';
import type { Item } from './item.ts';
import { migrateDocument, type MigrationReport } from './migrate.ts';
import { parseText, type ConfigFormat } from './parse.ts';
import { checkPlugin } from './plugin-config.ts';
import type { PluginSchemas } from './plugin-schema.ts';
import { prepareConfig, type PreparedConfig, type RejectedConfig } from './prepare.ts';
import { resolveAll } from './resolve.ts';
import { GROUPS } from './types.ts';
import type { Delta, Entities, FlatError, GroupHashes, GroupName } from './types.ts';
import { checkServiceCaRefs } from './tls-checks.ts';
import { checkUniqueness } from './uniqueness.ts';

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
  entityHashes: EntityHashes;
  counts: Record<GroupName, number>;
  /** A group's ids sorted (as groupHash sorts them), once computed; reused while the id set stays. */
  sorted: Partial<Record<GroupName, string[]>>;
  text: string;
  format: ConfigFormat | undefined;
}

/** How many configs' hashes are kept: the current one, and one prepared beside it (a dry run). */
const STATES = 2;

export class ConfigPreparer {
  readonly #options: PreparerOptions;
  /** By collection (group, or credential kind), then text. */
  readonly #checked = new Map<string, Map<string, Checked>>();
  readonly #built = Object.fromEntries(GROUPS.map((g) => [g, new Map<string, Built>()])) as Record<GroupName, Map<string, Built>>;
  #states: State[] = [];
  #load = 0;

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

  prepare(text: string, request: PrepareRequest = {}): PrepareAnswer {
    const base = request.base === undefined ? undefined : this.#states.find((s) => s.hash === request.base);
    if (base !== undefined && base.text === text && base.format === request.format) {
      // The very text the caller holds the result of (a controller re-posting its config every few
      // seconds, a SIGHUP without an edit): nothing changed, without parsing it again.
      return { ok: true, base: base.hash, hash: base.hash, groupHashes: base.groupHashes, upserts: {}, removes: {}, upsertHashes: {}, migration: null };
    }
    const parsed = parseText(text, request.format);
    if (!parsed.ok) return { ok: false, errors: parsed.errors, code: 'SLUICE_ERR_CONFIG_PARSE' };
    return this.#prepareParsed(parsed.value, parsed.format, text, request.format, base) ?? this.#cold(text, request.format);
  }

  /** Drops every cached entity and config state (the next load is prepared cold). */
  clear(): void {
    this.#checked.clear();
    for (const g of GROUPS) this.#built[g].clear();
    this.#states = [];
  }

  #cold(text: string, format: ConfigFormat | undefined): PrepareAnswer {
    return prepareConfig(text, { format, plugins: this.#options.plugins, generatorSecret: this.#options.generatorSecret });
  }

  /** The answer, or null when the config has an error (the caller then prepares it cold). */
  #prepareParsed(doc: unknown, parsedAs: ConfigFormat, text: string, format: ConfigFormat | undefined, base: State | undefined): PrepareAnswer | null {
    const errors = new ErrorList();
    const migration = migrateDocument(doc);
    const head = checkDocument(doc, errors);
    if (head === null || errors.size > 0) return null;
    const items = flatten(doc as Record<string, unknown>, errors);
    if (errors.size > 0) return null;
    const load = ++this.#load;
    // YAML can hold numbers JSON.stringify cannot write (.nan and .inf become null, -0 becomes 0,
    // and JSON text can hold -0 too): such texts are keyed with them spelled out, so `.nan` never
    // reuses the checks of `null`.
    const key = parsedAs === 'yaml' || MINUS_ZERO.test(text) ? exactKey : jsonKey;
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
    resolveAll(items, errors);
    checkServiceCaRefs(
      items.filter((item) => item.group === 'services'),
      new Set(items.filter((item) => item.group === 'ca_certificates').map((item) => item.id)),
      errors,
    );
    fillGenerated(items, this.#options.generatorSecret);
    checkUniqueness(items, errors);
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
    return this.#build(items, texts, head, base, load, text, format, migration, errors.warnings);
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
      const had = base.entityHashes[g][item.id];
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
        for (const id in base.entityHashes[g]) if (hashes[id] === undefined) gone.push(id);
        removes[g] = gone;
      }
      if (changed === 0 && removes[g] === undefined) {
        groupHashes[g] = base.groupHashes[g];
        if (base.sorted[g] !== undefined) sorted[g] = base.sorted[g];
      } else if (changed === replaced[g] && removes[g] === undefined) {
        // Same ids, some entities changed: the base's sorted ids serve.
        const ids = (base.sorted[g] ??= Object.keys(base.entityHashes[g]).sort());
        sorted[g] = ids;
        groupHashes[g] = groupHashSorted(ids, hashes);
      } else {
        const ids = Object.keys(hashes).sort();
        sorted[g] = ids;
        groupHashes[g] = groupHashSorted(ids, hashes);
      }
    }
    const hash = configHash(groupHashes);
    this.#states.push({ hash, groupHashes, entityHashes, counts, sorted, text, format });
    if (this.#states.length > STATES) this.#states.shift();
    // Warnings (an expired certificate) come from entities checked this time: said once per new text.
    const said = warnings.length === 0 ? {} : { warnings };
    if (base === undefined) return { ok: true, entities: entities as Entities, entityHashes, groupHashes, hash, migration, ...said };
    return { ok: true, base: base.hash, hash, groupHashes, upserts: upserts as Delta['upserts'], removes, upsertHashes, migration, ...said };
  }

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
