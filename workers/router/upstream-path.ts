// The path sent upstream: the service path joined with what is left of the request path (worker thread).
// Facts from Kong: kong/router/utils.lua (get_upstream_uri_v0, sanitize_uri_postfix) and the v1 branch of
// kong/router/traditional.lua; expected values in Kong's spec/fixtures/router_path_handling_tests.lua.
// Kong's traditional_compatible flavor ignores path_handling and always joins as v0 (its schema warns
// that v1 "will not work" there); Sluice honours v1 as Kong's traditional flavor does.

const SLASH = 0x2f;

/** Kong drops a leading `.`/`..` segment left at the start of the remainder (`/foo` + `../x`). */
export function sanitizePostfix(postfix: string): string {
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(2);
  if (postfix.startsWith('../')) return postfix.slice(3);
  return postfix;
}

/**
 * @param base service.path, or '/' when the service has none.
 * @param stripPath the route's strip_path (it changes the join even when no path matched).
 * @param path the normalized request path.
 * @param strippedPrefix the part of `path` a path condition matched when strip_path is on, else null.
 */
export function upstreamPath(base: string, stripPath: boolean, v1: boolean, path: string, strippedPrefix: string | null): string {
  const postfix = strippedPrefix === null ? path.slice(1) : sanitizePostfix(path.slice(strippedPrefix.length));
  const baseEndsSlash = base.charCodeAt(base.length - 1) === SLASH;

  if (v1) {
    if (!stripPath) return base + path.slice(1);
    return baseEndsSlash && postfix.charCodeAt(0) === SLASH ? base.slice(0, -1) + postfix : base + postfix;
  }

  if (baseEndsSlash) {
    if (!stripPath) return base + path.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return path.charCodeAt(path.length - 1) === SLASH ? base : base.slice(0, -1);
    }
    return postfix.charCodeAt(0) === SLASH ? base.slice(0, -1) + postfix : base + postfix;
  }

  if (!stripPath) return path === '/' ? base : base + path;
  if (postfix === '') return path.length > 1 && path.charCodeAt(path.length - 1) === SLASH ? base + '/' : base;
  return postfix.charCodeAt(0) === SLASH ? base + postfix : base + '/' + postfix;
}
