// Kong's migration of `_format_version` "1.1" and "2.1" files to "3.0" (kong/db/declarative/
// migrations/route_path.lua with kong/db/migrations/migrate_path_280_300.lua). Pure; runs on any
// thread. Runs on the parsed document, before validation, as Kong's does.
//
// Before 3.0 a route path was a regex whenever it held a character outside [a-zA-Z0-9.-_~/%]; 3.0
// marks regexes with a `~` prefix. So, for the routes at the top level and those nested in a
// top-level service (the ones Kong migrates):
//   - a plain path is normalized (unreserved %XX decoded, dot segments removed, slashes merged);
//   - any other path becomes `~` + the path, with %XX of reserved characters kept upper-cased,
//     regex metacharacters decoded escaped (`%2E` → `\.`) and other escapes decoded.
// Every changed path is reported, so an operator can see what the file now means.
import { isRecord } from './document.ts';

export interface PathMigration {
  /** Route name, else id, else position in the file. */
  route: string;
  field: string;
  from: string;
  to: string;
}

export interface MigrationReport {
  from: string;
  paths: PathMigration[];
}

/** Migrates `doc` in place when it is a 1.1/2.1 document; null when there was nothing to migrate. */
export function migrateDocument(doc: unknown): MigrationReport | null {
  if (!isRecord(doc)) return null;
  const from = doc['_format_version'];
  if (from !== '1.1' && from !== '2.1') return null;
  const paths: PathMigration[] = [];
  migrateRoutes(doc['routes'], 'routes', paths);
  const services = doc['services'];
  if (Array.isArray(services)) {
    services.forEach((service, i) => {
      if (isRecord(service)) migrateRoutes(service['routes'], `services.${i}.routes`, paths);
    });
  }
  doc['_format_version'] = '3.0';
  return { from, paths };
}

function migrateRoutes(routes: unknown, at: string, out: PathMigration[]): void {
  if (!Array.isArray(routes)) return;
  routes.forEach((route, i) => {
    if (!isRecord(route) || !Array.isArray(route['paths'])) return;
    const paths = route['paths'] as unknown[];
    paths.forEach((path, j) => {
      if (typeof path !== 'string') return;
      const to = migratePath(path);
      if (to === path) return;
      paths[j] = to;
      const label = typeof route['name'] === 'string' ? route['name'] : typeof route['id'] === 'string' ? route['id'] : `${at}.${i}`;
      out.push({ route: label, field: `paths.${j}`, from: path, to });
    });
  });
}

const NOT_REGEX = /^[a-zA-Z0-9.\-_~/%]*$/;

/** One path, as Kong 3.x migrates a pre-3.0 path. */
export function migratePath(path: string): string {
  if (NOT_REGEX.test(path)) return normalize(path);
  return `~${normalizeRegex(path)}`;
}

// RFC 3986 reserved characters, whose escapes keep their meaning (and so stay escaped).
const RESERVED = new Set([...`!*'();:@&=+$,/?%#[]`].map((c) => c.charCodeAt(0)));
// In a regex, a decoded metacharacter must stay a literal.
const REGEX_META: Record<number, string> = { 0x2e: '\\.', 0x5e: '\\^', 0x2d: '\\-', 0x7b: '\\{', 0x7d: '\\}', 0x5c: '\\\\', 0x7c: '\\|' };
const ESCAPE = /%([0-9A-Fa-f]{2})/g;

function normalizeRegex(regex: string): string {
  if (!regex.includes('%')) return regex;
  return regex.replace(ESCAPE, (m, hex: string) => {
    const n = parseInt(hex, 16);
    if (RESERVED.has(n)) return m.toUpperCase();
    return REGEX_META[n] ?? String.fromCharCode(n);
  });
}

/** kong.tools.uri.normalize(path, true): decode unreserved escapes, remove dot segments, merge slashes. */
function normalize(input: string): string {
  if (input === '' || input === '/') return input;
  let uri = input.includes('%') ? input.replace(ESCAPE, (m, hex: string) => (RESERVED.has(parseInt(hex, 16)) ? m.toUpperCase() : String.fromCharCode(parseInt(hex, 16)))) : input;
  if (!uri.includes('.') && !uri.includes('//')) return uri;
  const out: string[] = [];
  while (uri.length > 0) {
    if (uri === '/.') uri = '/';
    else if (uri === '/..') {
      uri = '/';
      out.pop();
    } else if (uri === '.' || uri === '..') uri = '';
    else if (uri.startsWith('../')) uri = uri.slice(3);
    else if (uri.startsWith('./')) uri = uri.slice(2);
    else if (uri.startsWith('/./')) uri = uri.slice(2);
    else if (uri.startsWith('/../')) {
      uri = uri.slice(3);
      out.pop();
    } else if (uri.startsWith('//')) uri = uri.slice(1);
    else {
      const i = uri.indexOf('/', 1);
      if (i === -1) {
        out.push(uri);
        uri = '';
      } else {
        out.push(uri.slice(0, i));
        uri = uri.slice(i);
      }
    }
  }
  return out.join('');
}
