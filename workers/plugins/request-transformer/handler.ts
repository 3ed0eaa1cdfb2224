// request-transformer (worker thread, access phase): edits the request on its way upstream, as
// Kong 3.x's does, in Kong's order — replace.uri, http_method, headers, body, querystring — and
// within each part remove, rename, replace, add, append.
//   headers      remove/rename if present; replace if present (or Host); add if absent (never
//                Host); append adds a line.
//   querystring  edited only when some querystring list is set; then re-encoded.
//   body         application/json, application/x-www-form-urlencoded (multipart/form-data is sent
//                as it is); read whole (up to MAX_BODY_BYTES) only when a body list is set and the
//                Content-Type is one of those. JSON bodies from OFFLOAD_BYTES up are edited on the
//                worker's JSON pool thread (workers/transform/json-pool.ts). A body that does not
//                parse is sent as it is. remove/rename/replace need a non-empty body; add/append
//                also fill an empty one.
//   http_method  GET, HEAD or TRACE with a form body also moves the body's arguments to the query.
// Values may be Kong templates (template.ts); a replace.uri that renders to something that is not
// an absolute path fails the request (500), as Kong's set_path does.
import { schema, type Config, type Lists } from '../../../config/plugins/request-transformer.ts';
import { splitEntry } from '../../../config/plugins/transformer-fields.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { appendArg, decodeArgs, encodeArgs, renameArg, type Args } from '../../transform/args.ts';
import type { JsonEdits } from '../../transform/json-body.ts';
import { editJsonBody } from '../../transform/json-pool.ts';
import { definePlugin } from '../define.ts';
import type { PluginInstance } from '../types.ts';
import { compileTemplate, TemplateEnv, type Template } from './template.ts';

/** The longest body read to edit. Larger ones answer 413 rather than go upstream unedited. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

type Pair = readonly [string, Template];

interface CompiledLists {
  remove: readonly string[];
  rename: readonly Pair[];
  replace: readonly Pair[];
  add: readonly Pair[];
  append: readonly Pair[];
}

const JSON_TYPE = 1;
const FORM_TYPE = 2;
const MULTIPART_TYPE = 3;

function contentKind(value: string | undefined): number {
  if (value === undefined) return 0;
  const lower = value.toLowerCase();
  if (lower.includes('application/json')) return JSON_TYPE;
  if (lower.includes('multipart/form-data')) return MULTIPART_TYPE;
  if (lower.includes('application/x-www-form-urlencoded')) return FORM_TYPE;
  return 0;
}

function pairs(entries: readonly string[], lowerNames: boolean): Pair[] {
  return entries.map((entry) => {
    const { name, value } = splitEntry(entry);
    return [lowerNames ? name.toLowerCase() : name, compileTemplate(value)] as const;
  });
}

function compile(config: Config, part: keyof Lists): CompiledLists {
  const headers = part === 'headers';
  return {
    remove: config.remove[part].map((entry) => {
      const name = splitEntry(entry).name;
      return headers ? name.toLowerCase() : name;
    }),
    rename: pairs(config.rename[part], headers),
    replace: pairs(config.replace[part], headers),
    add: pairs(config.add[part], headers),
    append: pairs(config.append[part], headers),
  };
}

const isEmpty = (l: CompiledLists): boolean => l.remove.length + l.rename.length + l.replace.length + l.add.length + l.append.length === 0;

const TOO_LARGE = Object.freeze({ message: 'Request size limit exceeded' });
/** Characters sent in a path as they are (RFC 3986 pchar, '/' and '%' of an escape already made). */
const PATH_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

class RequestTransformer implements PluginInstance {
  readonly #method: string | null;
  /** Also moves a form body's arguments to the query (Kong does so for these methods). */
  readonly #methodTakesArgs: boolean;
  readonly #uri: Template | null;
  readonly #headers: CompiledLists | null;
  readonly #query: CompiledLists | null;
  readonly #body: CompiledLists | null;

  constructor(config: Config) {
    this.#method = config.http_method;
    this.#methodTakesArgs = config.http_method === 'GET' || config.http_method === 'HEAD' || config.http_method === 'TRACE';
    this.#uri = config.replace.uri === null ? null : compileTemplate(config.replace.uri);
    const headers = compile(config, 'headers');
    const query = compile(config, 'querystring');
    const body = compile(config, 'body');
    this.#headers = isEmpty(headers) ? null : headers;
    this.#query = isEmpty(query) ? null : query;
    this.#body = isEmpty(body) ? null : body;
  }

  access(ctx: RequestContext): void | Promise<void> {
    const env = new TemplateEnv(ctx);
    if (this.#uri !== null) ctx.upstreamPath = upstreamPath(env.render(this.#uri));
    if (this.#method !== null) ctx.upstreamMethod = this.#method;
    if (this.#headers !== null) editHeaders(ctx, env, this.#headers);
    const kind = contentKind(ctx.req.headers['content-type']);
    const readsBody = (this.#body !== null && (kind === JSON_TYPE || kind === FORM_TYPE)) || (this.#methodTakesArgs && kind === FORM_TYPE && ctx.hasBody);
    if (!readsBody) {
      if (this.#query !== null) editQuery(ctx, env, this.#query, null);
      return;
    }
    const body = ctx.readBody(MAX_BODY_BYTES);
    if (body instanceof Promise) return body.then((read) => this.#withBody(ctx, env, kind, read));
    return this.#withBody(ctx, env, kind, body);
  }

  #withBody(ctx: RequestContext, env: TemplateEnv, kind: number, body: Buffer | null): void | Promise<void> {
    if (body === null) return ctx.exit(413, TOO_LARGE);
    // Kong decodes the form body for the method move before any body edit.
    const moved = this.#methodTakesArgs && kind === FORM_TYPE && body.length > 0 ? decodeArgs(body.toString('utf8')) : null;
    if (this.#body === null) return editQuery(ctx, env, this.#query, moved);
    if (kind === FORM_TYPE) {
      const edited = editForm(body, env, this.#body);
      if (edited !== null) setBody(ctx, edited);
      return editQuery(ctx, env, this.#query, moved);
    }
    // The body is this request's own (ctx.readBody read it): a large one is handed to the pool
    // thread as it is, not copied, and what comes back replaces it.
    const pending = editJsonBody(body, jsonEdits(env, this.#body), true);
    if (pending instanceof Promise) {
      return pending.then((edited) => {
        if (edited !== null) setBody(ctx, edited);
        editQuery(ctx, env, this.#query, moved);
      });
    }
    if (pending !== null) setBody(ctx, pending);
    editQuery(ctx, env, this.#query, moved);
  }
}

/** The proxy sends a buffered body with its own Content-Length (proxy/forward.ts). */
function setBody(ctx: RequestContext, body: Buffer): void {
  ctx.bufferedBody = body;
}

/** Kong's set_path: an absolute path; characters a path may not hold are percent-encoded. */
function upstreamPath(path: string): string {
  if (!path.startsWith('/')) throw new TypeError(`request-transformer: replace.uri rendered to "${path}", not a path starting with '/'`);
  if (PATH_SAFE.test(path)) return path;
  let out = '';
  for (const ch of path) out += PATH_SAFE.test(ch) ? ch : encodeURIComponent(ch);
  return out;
}

/** A header's value as the edits left it so far: a plugin edit, else the client's lines; null when absent. */
function current(ctx: RequestContext, name: string): readonly string[] | null {
  const set = ctx.upstreamHeaders;
  if (set !== null && Object.hasOwn(set, name)) {
    const v = set[name];
    return v === null || v === undefined ? null : typeof v === 'string' ? [v] : v;
  }
  if (ctx.req.headers[name] === undefined) return null;
  return ctx.req.headerValues(name);
}

function present(ctx: RequestContext, name: string): boolean {
  const set = ctx.upstreamHeaders;
  if (set !== null && Object.hasOwn(set, name)) return set[name] !== null && set[name] !== undefined;
  return ctx.req.headers[name] !== undefined;
}

function editHeaders(ctx: RequestContext, env: TemplateEnv, lists: CompiledLists): void {
  for (const name of lists.remove) if (present(ctx, name)) ctx.setUpstreamHeader(name, null);
  for (const [from, to] of lists.rename) {
    const target = env.render(to).toLowerCase();
    const value = current(ctx, from);
    if (value === null || from === target) continue;
    ctx.setUpstreamHeader(from, null);
    ctx.setUpstreamHeader(target, value.length === 1 ? value[0]! : value);
  }
  for (const [name, value] of lists.replace) {
    if (name === 'host' || present(ctx, name)) ctx.setUpstreamHeader(name, env.render(value));
  }
  for (const [name, value] of lists.add) {
    if (name !== 'host' && !present(ctx, name)) ctx.setUpstreamHeader(name, env.render(value));
  }
  for (const [name, value] of lists.append) {
    const rendered = env.render(value);
    // Host is one line: appending to it replaces it.
    const had = name === 'host' ? null : current(ctx, name);
    ctx.setUpstreamHeader(name, had === null ? rendered : [...had, rendered]);
  }
}

function editArgs(args: Args, env: TemplateEnv, lists: CompiledLists): boolean {
  let changed = false;
  for (const name of lists.remove) {
    if (args[name] !== undefined) delete args[name];
    changed = true;
  }
  for (const [from, to] of lists.rename) changed = renameArg(args, from, env.render(to)) || changed;
  for (const [name, value] of lists.replace) {
    if (args[name] === undefined) continue;
    args[name] = env.render(value);
    changed = true;
  }
  for (const [name, value] of lists.add) {
    if (args[name] !== undefined) continue;
    args[name] = env.render(value);
    changed = true;
  }
  for (const [name, value] of lists.append) {
    args[name] = appendArg(args[name], env.render(value));
    changed = true;
  }
  return changed;
}

/** Querystring edits, after the arguments a method change moved from the body (`moved`). */
function editQuery(ctx: RequestContext, env: TemplateEnv, lists: CompiledLists | null, moved: Args | null): void {
  if (lists === null && moved === null) return;
  const args = Object.assign(Object.create(null) as Args, env.query);
  if (moved !== null) {
    for (const key in moved) {
      const value = moved[key]!;
      const seen = args[key];
      if (seen === undefined) args[key] = value;
      else args[key] = [...(Array.isArray(seen) ? seen : [seen]), ...(Array.isArray(value) ? value : [value])];
    }
  }
  if (lists !== null) editArgs(args, env, lists);
  const query = encodeArgs(args);
  ctx.upstreamQuery = query === '' ? '' : `?${query}`;
}

function editForm(body: Buffer, env: TemplateEnv, lists: CompiledLists): Buffer | null {
  const args = decodeArgs(body.toString('utf8'));
  // Kong removes, renames and replaces only in a non-empty body.
  const edits = body.length > 0 ? lists : { ...lists, remove: [], rename: [], replace: [] };
  if (!editArgs(args, env, edits)) return null;
  return Buffer.from(encodeArgs(args), 'utf8');
}

function jsonEdits(env: TemplateEnv, lists: CompiledLists): JsonEdits {
  const render = (pairs: readonly Pair[]): [string, string][] => pairs.map(([name, value]) => [name, env.render(value)]);
  return { mode: 'request', remove: lists.remove, rename: render(lists.rename), replace: render(lists.replace), add: render(lists.add), append: render(lists.append) };
}

export default definePlugin<Config>(schema, RequestTransformer);
