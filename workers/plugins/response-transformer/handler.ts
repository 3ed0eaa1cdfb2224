// response-transformer (worker thread): edits the upstream's answer on its way to the client, as
// Kong 3.x's does — headers in header_filter, the JSON body once it is read whole.
//   headers  remove; rename, replace (when present and given a value) and add (when absent), each
//            judged on the headers as the upstream sent them; append adds a line. Content-Length
//            goes when the body is edited.
//   json     only for `application/json` or `application/*+json` answers, and only when a json
//            list is set: those answers are read whole (`response` phase, wantsResponse), others
//            stream untouched. remove, rename, replace (when present), add (when absent), append;
//            `json_types` casts the value at the same position (number, boolean, string). A body
//            that is not a JSON object is sent as it is (Kong logs "failed parsing json body").
//            Bodies from OFFLOAD_BYTES up are edited on the worker's JSON pool thread.
import { schema, type Config, type JsonType } from '../../../config/plugins/response-transformer.ts';
import { splitEntry } from '../../../config/plugins/transformer-fields.ts';
import type { RequestContext } from '../../proxy/context.ts';
import type { JsonEdits } from '../../transform/json-body.ts';
import { editJsonBody } from '../../transform/json-pool.ts';
import { definePlugin } from '../define.ts';
import type { BufferedResponse, PluginInstance, UpstreamResponse } from '../types.ts';

type HeaderPair = readonly [string, string];

/** Kong's is_json_body: some media type of the header is application/json or application/*+json. */
export function isJsonBody(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  const text = typeof value === 'string' ? value : value.join(',');
  for (const part of text.split(',')) {
    const semi = part.indexOf(';');
    const media = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    const slash = media.indexOf('/');
    if (slash === -1 || media.slice(0, slash) !== 'application') continue;
    const subtype = media.slice(slash + 1);
    if (subtype === 'json' || subtype.endsWith('+json')) return true;
  }
  return false;
}

/**
 * Kong's json_value: the configured text, cast by its json_type. An empty value is Lua's nil, which
 * cjson encodes as the text "null". A number that does not parse is no value (the edit is skipped).
 */
function cast(value: string, type: JsonType | undefined): unknown {
  const text = value === '' ? 'null' : value;
  if (type === 'number') {
    const trimmed = text.trim();
    const n = trimmed === '' ? NaN : Number(trimmed);
    return Number.isFinite(n) ? n : undefined;
  }
  if (type === 'boolean') return text === 'true';
  return text;
}

function typedPairs(entries: readonly string[], types: readonly JsonType[]): [string, unknown][] {
  return entries.map((entry, i) => {
    const { name, value } = splitEntry(entry);
    return [name, cast(value, types[i])];
  });
}

function headerPairs(entries: readonly string[]): HeaderPair[] {
  return entries.map((entry) => {
    const { name, value } = splitEntry(entry);
    return [name.toLowerCase(), value] as const;
  });
}

class ResponseTransformer implements PluginInstance {
  readonly #removeHeaders: readonly string[];
  readonly #renameHeaders: readonly HeaderPair[];
  readonly #replaceHeaders: readonly HeaderPair[];
  readonly #addHeaders: readonly HeaderPair[];
  readonly #appendHeaders: readonly HeaderPair[];
  /** The JSON edits, the same for every answer (no templates here), or null when none is set. */
  readonly #json: JsonEdits | null;

  constructor(config: Config) {
    this.#removeHeaders = config.remove.headers.map((entry) => splitEntry(entry).name.toLowerCase());
    this.#renameHeaders = headerPairs(config.rename.headers).map(([from, to]) => [from, to.toLowerCase()] as const);
    this.#replaceHeaders = headerPairs(config.replace.headers);
    this.#addHeaders = headerPairs(config.add.headers);
    this.#appendHeaders = headerPairs(config.append.headers);
    const json: JsonEdits = {
      mode: 'response',
      remove: config.remove.json.map((entry) => splitEntry(entry).name),
      rename: config.rename.json.map((entry) => {
        const { name, value } = splitEntry(entry);
        return [name, value] as const;
      }).filter(([, to]) => to !== ''),
      replace: typedPairs(config.replace.json, config.replace.json_types),
      add: typedPairs(config.add.json, config.add.json_types),
      append: typedPairs(config.append.json, config.append.json_types),
    };
    const anyJson = config.remove.json.length + config.rename.json.length + config.replace.json.length + config.add.json.length + config.append.json.length > 0;
    this.#json = anyJson ? Object.freeze(json) : null;
  }

  wantsResponse(_ctx: RequestContext, upstream: UpstreamResponse): boolean {
    return this.#json !== null && isJsonBody(upstream.headers['content-type']);
  }

  response(_ctx: RequestContext, answer: BufferedResponse): void | Promise<void> {
    if (this.#json === null || !isJsonBody(answer.headers['content-type'])) return;
    const edited = editJsonBody(answer.body, this.#json);
    if (edited instanceof Promise) {
      return edited.then((body) => {
        if (body !== null) answer.body = body;
      });
    }
    if (edited !== null) answer.body = edited;
  }

  headerFilter(_ctx: RequestContext, upstream: UpstreamResponse): void {
    const headers = upstream.headers;
    // rename, replace and add look at the headers as the upstream sent them (Kong's get_headers()
    // is read before any edit): a copy only when an earlier edit could change what they see.
    const sent = this.#removeHeaders.length > 0 || this.#renameHeaders.length > 0 ? { ...headers } : headers;
    for (const name of this.#removeHeaders) headers[name] = undefined;
    for (const [from, to] of this.#renameHeaders) {
      const value = sent[from];
      if (value === undefined) continue;
      headers[from] = undefined;
      headers[to] = value;
    }
    for (const [name, value] of this.#replaceHeaders) if (value !== '' && sent[name] !== undefined) headers[name] = value;
    for (const [name, value] of this.#addHeaders) if (value !== '' && sent[name] === undefined) headers[name] = value;
    for (const [name, value] of this.#appendHeaders) {
      if (value === '') continue;
      const had = headers[name];
      headers[name] = had === undefined ? value : typeof had === 'string' ? [had, value] : [...had, value];
    }
    if (this.#json !== null && isJsonBody(headers['content-type'])) headers['content-length'] = undefined;
  }
}

export default definePlugin<Config>(schema, ResponseTransformer);
