// Route checks a JSON Schema cannot say precisely: path syntax, regex compilation, host patterns.
// Pure; runs on any thread. Runs after the route's schema, on fields that passed it.
import type { ErrorList } from './errors.ts';
import { checkRouteHost } from './hosts.ts';
import type { Item } from './item.ts';
import { checkRegexPath, isRegexPath } from './regex.ts';

// RFC 3986 path characters (pchar and `/`), which is what Kong's `typedefs.path` accepts.
const FIXED_PATH_RE = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/;
const BAD_ESCAPE_RE = /%(?![0-9A-Fa-f]{2})/;

/** A fixed (prefix) path: an error message, or null. Shared with service `path`. */
export function checkFixedPath(path: string): string | null {
  if (!FIXED_PATH_RE.test(path)) return 'invalid path: only RFC 3986 path characters are allowed';
  if (BAD_ESCAPE_RE.test(path)) return 'invalid url-encoded value: every % must start a %XX escape';
  return null;
}

export function checkRoute(item: Item, errors: ErrorList): void {
  const v = item.value;
  if (Array.isArray(v['paths']) && !item.hasFailed('paths')) {
    (v['paths'] as unknown[]).forEach((p, i) => {
      if (typeof p !== 'string') return;
      const msg = isRegexPath(p) ? checkRegexPath(p) : p.startsWith('/') ? checkFixedPath(p) : 'should start with: / (fixed path) or ~ (regex path)';
      if (msg !== null) errors.add(item, `paths.${i}`, msg);
    });
  }
  if (Array.isArray(v['hosts']) && !item.hasFailed('hosts')) {
    (v['hosts'] as unknown[]).forEach((h, i) => {
      if (typeof h !== 'string') return;
      const msg = checkRouteHost(h);
      if (msg !== null) errors.add(item, `hosts.${i}`, msg);
    });
  }
  if (v['headers'] !== null && typeof v['headers'] === 'object' && !item.hasFailed('headers')) {
    for (const [name, values] of Object.entries(v['headers'] as Record<string, unknown>)) {
      if (name.toLowerCase() === 'host') {
        errors.add(item, `headers.${name}`, "cannot contain 'host' header, which must be specified in the 'hosts' attribute");
      }
      // A `~*` value is a case-insensitive regex (the router compiles it with the `i` flag): one that
      // does not compile is refused here, not left to fail in every worker.
      if (!Array.isArray(values)) continue;
      values.forEach((value, i) => {
        if (typeof value !== 'string' || !value.startsWith('~*')) return;
        try {
          new RegExp(value.slice(2), 'i');
        } catch (error) {
          errors.add(item, `headers.${name}.${i}`, `invalid regex: '${value.slice(2)}' (${(error as Error).message})`);
        }
      });
    }
  }
  // Kong: an HTTP route matches on something. Only judged when those fields were well-formed, and
  // not for an expressions-router route (its `expression` is refused as unsupported already).
  if (v['expression'] !== undefined && v['expression'] !== null) return;
  const protocols = Array.isArray(v['protocols']) && !item.hasFailed('protocols') ? (v['protocols'] as unknown[]) : null;
  if (protocols !== null && protocols.some((p) => p === 'grpc' || p === 'grpcs')) return checkGrpcRoute(item, protocols, errors);
  // Nor for a stream route (tcp, tls, udp...): its protocols are refused as unsupported already.
  if (Array.isArray(v['protocols']) && v['protocols'].some((p) => p !== 'http' && p !== 'https')) return;
  // An https-only route may match on its SNIs alone.
  const httpsOnly = Array.isArray(v['protocols']) && (v['protocols'] as unknown[]).every((p) => p === 'https');
  const matchers = httpsOnly ? ['methods', 'hosts', 'headers', 'paths', 'snis'] : ['methods', 'hosts', 'headers', 'paths'];
  if (!matchers.some((f) => item.hasFailed(f)) && !matchers.some((f) => nonEmpty(v[f]))) {
    errors.add(item, '', httpsOnly ? "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'" : "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http' or 'https'");
  }
}

/**
 * Kong's default for a gRPC route (routes_subschemas.lua, grpc): `strip_path` is false, since
 * nginx's grpc_pass forwards the request's path as it came. Filled before the schema's own default
 * (true) would be, so that only a `strip_path: true` the file wrote is refused below.
 */
export function grpcRouteDefaults(value: Record<string, unknown>): void {
  const protocols = value['protocols'];
  if (!Array.isArray(protocols) || !protocols.some((p) => p === 'grpc' || p === 'grpcs')) return;
  if (value['strip_path'] === undefined || value['strip_path'] === null) value['strip_path'] = false;
}

const HTTP_SET = new Set(['http', 'https']);
const GRPC_SET = new Set(['grpc', 'grpcs']);

/** Kong's grpc subschema of routes: no methods, no strip_path, something to match on, not mixed with http(s). */
function checkGrpcRoute(item: Item, protocols: readonly unknown[], errors: ErrorList): void {
  const v = item.value;
  if (protocols.some((p) => HTTP_SET.has(p as string))) {
    // Kong's mutually_exclusive_subsets, the sets in the order the route names them.
    const grpcFirst = GRPC_SET.has(protocols.find((p) => HTTP_SET.has(p as string) || GRPC_SET.has(p as string)) as string);
    const sets = grpcFirst ? "('grpc', 'grpcs'), ('http', 'https')" : "('http', 'https'), ('grpc', 'grpcs')";
    errors.add(item, 'protocols', `these sets are mutually exclusive: ${sets}`);
    return;
  }
  if (v['strip_path'] === true && !item.hasFailed('strip_path')) errors.add(item, 'strip_path', "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'");
  if (nonEmpty(v['methods']) && !item.hasFailed('methods')) errors.add(item, 'methods', "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'");
  const secure = protocols.includes('grpcs');
  const matchers = secure ? ['hosts', 'headers', 'paths', 'snis'] : ['hosts', 'headers', 'paths'];
  if (!matchers.some((f) => item.hasFailed(f)) && !matchers.some((f) => nonEmpty(v[f]))) {
    errors.add(item, '', secure ? "must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'" : "must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'");
  }
}

function nonEmpty(x: unknown): boolean {
  if (Array.isArray(x)) return x.length > 0;
  return x !== null && typeof x === 'object' && Object.keys(x).length > 0;
}
