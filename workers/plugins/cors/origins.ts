// Runs on a worker thread: cors' origin rules, compiled once per plugin config. Matching follows
// Kong 3.x's handler: an entry with a character outside [A-Za-z0-9.:/-] is a regex, anchored at
// both ends (a leading ^ and trailing $ of the user's are kept meaningful), matched against the
// request origin's host when the entry has no ':' and against its normalized origin otherwise;
// any other entry is an origin compared after normalization (default ports dropped).

/** An Origin as Kong's normalize_origin reads it: `scheme://host[:port]` and its host alone. */
export interface NormalizedOrigin {
  domain: string;
  host: string;
}

export function normalizeOrigin(origin: string): NormalizedOrigin {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return { domain: origin, host: origin };
  }
  // No authority (`example.com`, `localhost:3000` read as scheme:path): taken as it is, as Kong.
  if (url.host === '' || !origin.includes('//')) return { domain: origin, host: origin };
  const scheme = url.protocol.slice(0, -1);
  // URL drops a scheme's default port for http/https already.
  return { domain: `${scheme}://${url.host}`, host: url.hostname };
}

const PLAIN = /^[A-Za-z0-9.:/-]+$/;

interface Rule {
  regex: RegExp | null;
  /** A plain entry, normalized. */
  domain: string;
  byHost: boolean;
}

/** What the origin rules decide for one request Origin. */
export type OriginDecision =
  /** Access-Control-Allow-Origin: * */
  | { kind: 'all' }
  /** Access-Control-Allow-Origin: `value` (and Vary: Origin). */
  | { kind: 'one'; value: string }
  /** No Access-Control-Allow-Origin (an upstream's is removed), Vary: Origin. */
  | { kind: 'none' };

const ALL: OriginDecision = Object.freeze({ kind: 'all' });
const NONE: OriginDecision = Object.freeze({ kind: 'none' });
/** Distinct request origins remembered per config; beyond, the memo starts over (memory bounded). */
const MEMO_MAX = 1024;

export class OriginRules {
  /** Allows every origin with `*` whatever the request says (no origins, or just `*`). */
  readonly allowsAll: boolean;
  /** One plain origin: always that value, whatever the request says. */
  readonly #fixed: OriginDecision | null;
  readonly #rules: Rule[] = [];
  /** A `*` among several entries: any request with an Origin gets `*`. */
  readonly #star: boolean;
  readonly #memo = new Map<string, OriginDecision>();

  constructor(origins: readonly string[] | null) {
    const list = origins ?? [];
    this.allowsAll = list.length === 0 || (list.length === 1 && list[0] === '*');
    this.#fixed = list.length === 1 && PLAIN.test(list[0]!) ? { kind: 'one', value: list[0]! } : null;
    this.#star = list.includes('*');
    for (const entry of list) {
      if (entry === '*') continue;
      if (PLAIN.test(entry)) {
        this.#rules.push({ regex: null, domain: normalizeOrigin(entry).domain, byHost: !entry.includes(':') });
      } else {
        let body = entry.endsWith('$') ? entry : `${entry}$`;
        if (body.startsWith('^')) body = body.slice(1);
        this.#rules.push({ regex: new RegExp(`^(?:${body})`), domain: '', byHost: !entry.includes(':') });
      }
    }
  }

  /** The decision for a request with this Origin (null or '' when it sent none). */
  decide(origin: string | null): OriginDecision {
    if (this.allowsAll) return ALL;
    if (this.#fixed !== null) return this.#fixed;
    if (origin === null || origin === '') return NONE;
    let decision = this.#memo.get(origin);
    if (decision !== undefined) return decision;
    decision = this.#match(origin);
    if (this.#memo.size >= MEMO_MAX) this.#memo.clear();
    this.#memo.set(origin, decision);
    return decision;
  }

  #match(origin: string): OriginDecision {
    // Kong returns `*` on meeting the entry `*`, before trying any other.
    if (this.#star) return ALL;
    const normalized = normalizeOrigin(origin);
    for (const rule of this.#rules) {
      const found = rule.regex !== null ? rule.regex.test(rule.byHost ? normalized.host : normalized.domain) : normalized.domain === rule.domain;
      if (found) return { kind: 'one', value: normalized.domain };
    }
    return NONE;
  }
}
