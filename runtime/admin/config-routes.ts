// GET and POST /config on the Admin API (primary thread), as Kong's DB-less /config: the body as
// raw YAML/JSON, JSON `{"config": "<text>"}` or `{"config": {...}}`, multipart form-data
// (`curl -F config=@kong.yml`) or urlencoded; `?check_hash=1`, `?flatten_errors=1`, and
// Sluice's `?wait=1` (answer once every worker applied it) and `?dry_run=1` (validate, hash and
// diff without applying: the delta and the rebuilds each worker would do).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import { isRecord } from '../../config/document.ts';
import { parseText } from '../../config/parse.ts';
import { GROUPS } from '../../config/types.ts';
import type { Delta, FlatError, GroupName, Snapshot } from '../../config/types.ts';
import type { ConfigStore } from '../config-store.ts';
import { deltaSize } from '../config-store.ts';
import { ErrorCodes, SluiceError } from '../protocol/errors.ts';
import type { Supervisor } from '../supervisor.ts';
import { LoadedBody } from './config-body.ts';
import { BodyTooLarge, readBody, sendJson } from './http.ts';
import { flattenedErrors, nestedFields } from './kong-errors.ts';
import { collectionOf, kongShape } from './kong-shapes.ts';
import { shownEntities } from './redact.ts';

const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
const CONVERGE_TIMEOUT_MS = 30_000;
const WRAPPED = /^\{\s*"config"\s*:/;

/**
 * The current config as Kong's `GET /config` gives it: `{"config": "<yaml>"}`, a declarative file
 * that loads back to the same config (every entity with its id; `_transform: false`, since
 * basic-auth passwords are already hashed). Sluice adds the version and hash beside it.
 */
export function getConfig(res: ServerResponse, store: ConfigStore, revealKeys = false): void {
  const snapshot = store.snapshot;
  sendJson(res, 200, { config: toYaml(declarative(snapshot, revealKeys), { lineWidth: 0 }), version: snapshot.version, configuration_hash: snapshot.hash });
}

/**
 * The snapshot as a flat declarative document, in Kong's collections and shapes. Private keys only
 * when `revealKeys` (an authenticated Admin API; redact.ts): otherwise the file does not load back.
 */
export function declarative(snapshot: Snapshot, revealKeys = false): Record<string, unknown> {
  const doc: Record<string, unknown[]> = {};
  for (const group of GROUPS) {
    for (const entity of shownEntities(group, Object.values(snapshot.entities[group]), revealKeys)) {
      const shaped = kongShape(group, entity, 0);
      delete shaped['created_at'];
      delete shaped['updated_at'];
      // Dropped Kong fields are null or empty by construction; leave them out of the file.
      for (const [k, v] of Object.entries(shaped)) if (v === null && !(k in (entity as object))) delete shaped[k];
      (doc[collectionOf(group, entity)] ??= []).push(shaped);
    }
  }
  return { _format_version: '3.0', _transform: false, ...doc };
}

/** Kong's truthy query values. */
function truthy(v: string | null): boolean {
  return v !== null && ['1', 'true', 'on', 'yes'].includes(v.toLowerCase());
}

type Body = { text: string | Uint8Array; format: 'json' | 'yaml' | undefined } | { error: number; message: string };

/**
 * The declarative text out of any of Kong's body forms. A plain body stays bytes: the config
 * thread decodes it (a 10k-route body is 1 MB: decoding it here and cloning the string to that
 * thread was a quarter of this thread's work per POST).
 */
export async function configBody(raw: Buffer, type: string): Promise<Body> {
  const mime = type.split(';')[0]!.trim().toLowerCase();
  if (mime === 'multipart/form-data' || mime === 'application/x-www-form-urlencoded') {
    let form: FormData;
    try {
      // undici's form parser (Node's own fetch): multipart boundaries and urlencoding done right.
      form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
    } catch {
      return { error: 400, message: 'malformed form body' };
    }
    const field = form.get('config');
    if (field === null) return { error: 400, message: 'expected a declarative configuration' };
    return { text: typeof field === 'string' ? field : await field.text(), format: undefined };
  }
  const start = raw.findIndex((byte) => !WHITESPACE.has(byte));
  if (start === -1) return { error: 400, message: 'expected a declarative configuration' };
  const format = mime.includes('json') ? 'json' : mime.includes('yaml') ? 'yaml' : undefined;
  // Kong's wrapper forms; checked by prefix so a plain 10k-route JSON body is not parsed twice.
  if (format !== 'yaml' && WRAPPED.test(raw.toString('utf8', start, start + 64))) {
    try {
      const body = JSON.parse(raw.toString('utf8')) as { config?: unknown };
      if (typeof body.config === 'string') return { text: body.config, format: undefined };
      if (isRecord(body.config)) return { text: JSON.stringify(body.config), format: 'json' };
    } catch {
      // Not JSON after all: the config layer reports the parse error precisely.
    }
  }
  return { text: raw, format };
}

/** ASCII whitespace: a body of only these is empty. */
const WHITESPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);

export async function postConfig(req: IncomingMessage, res: ServerResponse, url: URL, store: ConfigStore, supervisor: Supervisor): Promise<void> {
  let raw: Buffer;
  try {
    // Shared memory: the config thread decodes these bytes where they are (no copy to it).
    raw = await readBody(req, MAX_CONFIG_BYTES, true);
  } catch (error) {
    if (error instanceof BodyTooLarge) return sendJson(res, 413, { message: error.message });
    throw error;
  }
  const body = await configBody(raw, req.headers['content-type'] ?? '');
  if ('error' in body) return sendJson(res, body.error, { message: body.message });
  const { text, format } = body;
  if (truthy(url.searchParams.get('dry_run'))) {
    const outcome = await store.check({ text, format, source: 'admin dry run' });
    if (outcome.status === 'busy') return sendJson(res, 429, { code: 'SLUICE_ERR_CONFIG_BUSY', message: ErrorCodes.SLUICE_ERR_CONFIG_BUSY.message }, { 'retry-after': '1' });
    if (outcome.status === 'invalid') return sendInvalid(res, url, text, format, outcome.code, outcome.errors);
    return sendJson(res, 200, { dry_run: true, configuration_hash: outcome.hash, unchanged: outcome.delta === null, ...describeDelta(outcome.delta, store.snapshot) });
  }
  const outcome = await store.load({ text, format, source: 'admin' });
  switch (outcome.status) {
    case 'busy':
      return sendJson(res, 429, { code: 'SLUICE_ERR_CONFIG_BUSY', message: ErrorCodes.SLUICE_ERR_CONFIG_BUSY.message }, { 'retry-after': '1' });
    case 'invalid':
      return sendInvalid(res, url, text, format, outcome.code, outcome.errors);
    case 'unchanged':
      if (url.searchParams.get('check_hash') === '1') return sendJson(res, 304, null);
      return sendJson(res, 200, { version: outcome.version, configuration_hash: outcome.hash, unchanged: true });
    case 'applied': {
      const answer: Record<string, unknown> = { version: outcome.version, configuration_hash: outcome.hash, ...deltaSize(outcome.delta) };
      if (outcome.migration !== null) answer.migrated = outcome.migration;
      if (outcome.warnings.length > 0) answer.warnings = outcome.warnings;
      if (url.searchParams.get('wait') === '1') {
        try {
          answer.converged_ms = Number((await supervisor.waitApplied(outcome.version, CONVERGE_TIMEOUT_MS)).toFixed(3));
        } catch (error) {
          // A worker that reported it cannot apply the config answers at once (500, with its error);
          // one that did not apply in time answers 504. Either way the config stays the current one.
          if (!(error instanceof SluiceError)) throw error;
          return sendJson(res, error.status, { ...answer, code: error.code, message: error.message, workers: error.details });
        }
      }
      // Kong answers 201 with the loaded entities, by collection and id; Sluice's figures beside them.
      return sendLoaded(res, store, outcome.snapshot, outcome.delta, answer);
    }
  }
}

/** Per store, the 201 body kept between loads (config-body.ts). */
const bodies = new WeakMap<ConfigStore, LoadedBody>();

/** The 201 body: the loaded entities by collection and id, then Sluice's figures. */
function sendLoaded(res: ServerResponse, store: ConfigStore, snapshot: Snapshot, delta: Delta | null, answer: Record<string, unknown>): void {
  let body = bodies.get(store);
  if (body === undefined) bodies.set(store, (body = new LoadedBody()));
  const pieces = body.parts(snapshot, delta, answer);
  let length = 0;
  for (const p of pieces) length += p.length;
  res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': length });
  res.cork();
  for (const p of pieces) res.write(p);
  res.end();
  res.uncork();
}

function sendInvalid(res: ServerResponse, url: URL, text: string | Uint8Array, format: 'json' | 'yaml' | undefined, code: keyof typeof ErrorCodes, errors: FlatError[]): void {
  const body: Record<string, unknown> = {
    code,
    name: 'invalid declarative configuration',
    message: `${ErrorCodes[code].message}: ${errors.length} error(s)`,
    fields: nestedFields(errors),
    // Sluice's own list: one line per error, with SLUICE_ERR_UNSUPPORTED on refused Kong features.
    errors,
  };
  if (truthy(url.searchParams.get('flatten_errors'))) {
    // Error path only: the file is parsed here again to show each entity as written, as Kong does.
    const parsed = parseText(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'), format);
    const doc = parsed.ok ? parsed.value : null;
    body.flattened_errors = flattenedErrors(errors, (position) => entityAt(doc, position));
  }
  sendJson(res, ErrorCodes[code].status, body);
}

function entityAt(doc: unknown, position: string): Record<string, unknown> | null {
  let node = doc;
  for (const seg of position.split('.')) {
    if (Array.isArray(node)) node = node[Number(seg)];
    else if (isRecord(node)) node = node[seg];
    else return null;
  }
  if (!isRecord(node)) return null;
  // Its own fields: nested collections are entities of their own.
  return Object.fromEntries(Object.entries(node).filter(([, v]) => !(Array.isArray(v) && v.some(isRecord))));
}

/** A delta as dry_run tells it: entities added, changed and removed per group, and what each worker would rebuild. */
export function describeDelta(delta: Delta | null, current: Snapshot): Record<string, unknown> {
  const changes: Record<string, { added: string[]; changed: string[]; removed: string[] }> = {};
  const rebuilds = { router: false, plugins: false, credentials: false, balancers: [] as string[] };
  if (delta === null) return { changes, rebuilds };
  const balancers = new Set<string>();
  for (const group of GROUPS) {
    const upserts = (delta.upserts[group] ?? []) as Array<{ id: string }>;
    const removes = delta.removes[group] ?? [];
    if (upserts.length === 0 && removes.length === 0) continue;
    const had = current.entities[group] as Record<string, unknown>;
    changes[group] = {
      added: upserts.filter((e) => had[e.id] === undefined).map((e) => e.id),
      changed: upserts.filter((e) => had[e.id] !== undefined).map((e) => e.id),
      removed: removes,
    };
    markRebuilds(group, upserts, removes, current, rebuilds, balancers);
  }
  rebuilds.balancers = [...balancers].sort();
  return { changes, rebuilds };
}

function markRebuilds(group: GroupName, upserts: Array<{ id: string }>, removes: string[], current: Snapshot, rebuilds: { router: boolean; plugins: boolean; credentials: boolean }, balancers: Set<string>): void {
  switch (group) {
    case 'services':
    case 'routes':
      rebuilds.router = true;
      return;
    case 'plugins':
    case 'consumers':
      rebuilds.plugins = true;
      if (group === 'consumers') rebuilds.credentials = true;
      return;
    case 'credentials':
      rebuilds.credentials = true;
      return;
    case 'upstreams':
      for (const u of upserts as Array<{ id: string; name: string }>) balancers.add(u.name);
      for (const id of removes) balancers.add(current.entities.upstreams[id]?.name ?? id);
      return;
    case 'targets': {
      const upstreamName = (id: string) => current.entities.upstreams[id]?.name ?? id;
      for (const t of upserts as unknown as Array<{ upstream: { id: string } }>) balancers.add(upstreamName(t.upstream.id));
      for (const id of removes) {
        const t = current.entities.targets[id];
        if (t !== undefined) balancers.add(upstreamName(t.upstream.id));
      }
    }
  }
}
