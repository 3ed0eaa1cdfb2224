// Cache-Control and content-type rules of Kong's proxy-cache (worker thread): Kong's
// parse_directive_header, calculate_resource_ttl and its exact media-type match.

/** Directives by lower-case name: a number when the token is numeric, the token, or true. */
export type Directives = Readonly<Record<string, number | string | true>>;

export const NO_DIRECTIVES: Directives = Object.freeze(Object.create(null) as Record<string, never>);

export function parseDirectives(header: string | string[] | undefined): Directives {
  if (header === undefined) return NO_DIRECTIVES;
  const text = typeof header === 'string' ? header : header.join(', ');
  const out = Object.create(null) as Record<string, number | string | true>;
  for (const part of text.split(',')) {
    const trimmed = part.trimStart();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const name = (eq === -1 ? trimmed : trimmed.slice(0, eq)).toLowerCase();
    if (name === '') continue;
    if (eq === -1 || eq === trimmed.length - 1) {
      out[name] = true;
      continue;
    }
    const token = trimmed.slice(eq + 1);
    const n = Number(token);
    out[name] = token.trim() !== '' && Number.isFinite(n) ? n : token;
  }
  return out;
}

/** A numeric directive, or undefined (absent, a flag, or not a number). */
export function seconds(cc: Directives, name: string): number | undefined {
  const v = cc[name];
  return typeof v === 'number' ? v : undefined;
}

/** Kong's calculate_resource_ttl: s-maxage, max-age, else Expires minus now; never negative. */
export function resourceTtl(cc: Directives, expires: string | string[] | undefined, nowSeconds: number): number {
  let maxAge = seconds(cc, 's-maxage') ?? seconds(cc, 'max-age');
  if (maxAge === undefined && expires !== undefined) {
    const last = typeof expires === 'string' ? expires : expires[expires.length - 1];
    const at = last === undefined ? NaN : Date.parse(last);
    if (Number.isFinite(at)) maxAge = Math.floor(at / 1000) - nowSeconds;
  }
  return maxAge === undefined ? 0 : Math.max(maxAge, 0);
}

interface MediaType {
  type: string;
  subtype: string;
  params: Record<string, string>;
  count: number;
}

function parseMediaType(text: string): MediaType | null {
  const parts = text.split(';');
  const [type, subtype, extra] = parts[0]!.trim().toLowerCase().split('/');
  if (type === undefined || type === '' || subtype === undefined || subtype === '' || extra !== undefined) return null;
  const params = Object.create(null) as Record<string, string>;
  let count = 0;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key === '') continue;
    if (!Object.hasOwn(params, key)) count++;
    params[key] = value;
  }
  return { type, subtype, params, count };
}

/** Kong's content_type check: type and subtype equal (or `*`), the same parameters with the same values. */
export class ContentTypes {
  readonly #accepted: readonly MediaType[];

  constructor(configured: readonly string[]) {
    this.#accepted = configured.map(parseMediaType).filter((m): m is MediaType => m !== null);
  }

  matches(header: string | string[] | undefined): boolean {
    // A missing, empty or repeated Content-Type cannot be examined: not cacheable.
    if (typeof header !== 'string' || header === '') return false;
    const got = parseMediaType(header);
    if (got === null) return false;
    for (const want of this.#accepted) {
      if ((want.type !== '*' && want.type !== got.type) || (want.subtype !== '*' && want.subtype !== got.subtype)) continue;
      if (want.count !== got.count) continue;
      let same = true;
      for (const key in want.params) if (got.params[key] !== want.params[key]) same = false;
      if (same) return true;
    }
    return false;
  }
}
