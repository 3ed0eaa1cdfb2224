// Which certificate a TLS handshake gets for the server name its client sent (worker thread), as
// Kong's runloop/certificate.lua chooses: the `snis` entry of that exact name, then the prefix
// wildcard of it (`*.example.com` for `api.example.com`; the name needs three labels or more), then
// the suffix wildcard (`api.example.*`), then an `snis` entry named `*`, then the listener's
// default certificate. A client that sends no name gets the default certificate.
// The table is immutable: a certificate or SNI change builds a new one to the side and the
// listener swaps it in with one assignment (tls/contexts.ts); handshakes in progress keep theirs.
import type { SecureContext } from 'node:tls';

/** Kong's DEFAULT_SNI: an `snis` entry of this name catches every server name nothing else matched. */
export const CATCH_ALL_SNI = '*';

export class SniTable {
  /** Exact names, prefix wildcards (`*.example.com`) and suffix wildcards (`example.*`) in one map: their spellings never collide. */
  readonly #byName: ReadonlyMap<string, SecureContext>;
  readonly #fallback: SecureContext | null;

  /** `byName`: lower-case SNI names (exact or wildcard, `*` included) to their certificate's context. */
  constructor(byName: ReadonlyMap<string, SecureContext>) {
    this.#byName = byName;
    this.#fallback = byName.get(CATCH_ALL_SNI) ?? null;
  }

  get size(): number {
    return this.#byName.size;
  }

  /** Every context of the table, once each (several names often share one certificate). */
  contexts(): Set<SecureContext> {
    return new Set(this.#byName.values());
  }

  /** The context for `servername`, or null for the listener's default certificate. */
  select(servername: string): SecureContext | null {
    const byName = this.#byName;
    if (byName.size === 0) return null;
    const name = servername.toLowerCase();
    const exact = byName.get(name);
    if (exact !== undefined) return exact;
    const prefix = prefixWildcard(name);
    if (prefix !== null) {
      const context = byName.get(prefix);
      if (context !== undefined) return context;
    }
    const suffix = suffixWildcard(name);
    if (suffix !== null) {
      const context = byName.get(suffix);
      if (context !== undefined) return context;
    }
    return this.#fallback;
  }
}

export const EMPTY_SNI_TABLE = new SniTable(new Map());

/** `*.b.c` for `a.b.c` (Kong: `([^.]+)(\.[^.]+\.\S+)` → `*$2`); null under three labels. */
export function prefixWildcard(name: string): string | null {
  const first = name.indexOf('.');
  if (first <= 0) return null;
  const second = name.indexOf('.', first + 1);
  // Kong's pattern needs a non-empty label after the first dot and something after the second.
  if (second === -1 || second === first + 1 || second === name.length - 1) return null;
  return `*${name.slice(first)}`;
}

/** `a.b.*` for `a.b.c` (Kong: `([^.]+\.)([^.]+)$` → `$1*`); null without a dot. */
export function suffixWildcard(name: string): string | null {
  const last = name.lastIndexOf('.');
  if (last <= 0 || last === name.length - 1 || name[last - 1] === '.') return null;
  return `${name.slice(0, last + 1)}*`;
}
