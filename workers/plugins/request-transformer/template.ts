// Kong's request-transformer templates, rendered without Lua (worker thread). A config value is
// compiled once into literal parts and lookups (config/plugins/transformer-fields.ts); a request
// renders it against the tables Kong's template environment offers, read from the client's
// request as it arrived (Kong loads them before its edits take effect):
//   headers       request headers; `headers.x_y` also finds `x-y` (ngx.req.get_headers' lookup)
//   query_params  the query string's arguments
//   uri_captures  the route's regex captures, by name or number (0: the whole match)
//   shared        kong.ctx.shared (ctx.shared), read only
// A missing value renders as '' (Kong's `(expr or '')`). Kong fails a request (500) whose template
// meets a repeated header, a repeated argument or a flag argument (Lua cannot concatenate a table
// or a boolean); Sluice renders them as Node joins headers (', '), as a comma list and as ''.
import { parseTemplate, type TemplatePart } from '../../../config/plugins/transformer-fields.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { decodeArgs, type Args } from '../../transform/args.ts';

/** A value as configured: plain text, or parts to render per request. */
export type Template = string | readonly TemplatePart[];

export function compileTemplate(value: string): Template {
  return parseTemplate(value) ?? value;
}

/** The template environment of one request; tables are read on first use. */
export class TemplateEnv {
  readonly #ctx: RequestContext;
  #query: Args | null = null;

  constructor(ctx: RequestContext) {
    this.#ctx = ctx;
  }

  /** The client's query arguments, decoded once per request (also the start of querystring edits). */
  get query(): Args {
    if (this.#query === null) {
      const url = this.#ctx.req.url;
      const q = url.indexOf('?');
      this.#query = decodeArgs(q === -1 ? '' : url.slice(q + 1));
    }
    return this.#query;
  }

  render(template: Template): string {
    if (typeof template === 'string') return template;
    let out = '';
    for (const part of template) out += typeof part === 'string' ? part : this.#lookup(part.table, part.key);
    return out;
  }

  #lookup(table: 'headers' | 'query_params' | 'uri_captures' | 'shared', key: string | number): string {
    const ctx = this.#ctx;
    switch (table) {
      case 'headers': {
        const name = String(key).toLowerCase();
        const headers = ctx.req.headers;
        const value = headers[name] ?? headers[name.replaceAll('_', '-')];
        return value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value;
      }
      case 'query_params': {
        const value = this.query[String(key)];
        if (value === undefined || value === true) return '';
        return Array.isArray(value) ? value.filter((v) => v !== true).join(',') : value;
      }
      case 'uri_captures': {
        const captures = ctx.match?.uriCaptures;
        if (captures === null || captures === undefined) return '';
        const value = typeof key === 'number' ? captures.unnamed[key] : Object.hasOwn(captures.named, key) ? captures.named[key] : undefined;
        return value ?? '';
      }
      case 'shared': {
        const value = Object.hasOwn(ctx.shared, key) ? ctx.shared[key] : undefined;
        return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
      }
    }
  }
}
