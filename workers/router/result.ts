// Builds the Match for a winning entry (worker thread). Runs once per routing decision that misses the cache;
// the result is frozen because the cache hands the same object to later requests.
import type { Entry, PathCondition } from './compile.ts';
import type { Match, UriCaptures } from './types.ts';
import { upstreamPath } from './upstream-path.ts';

/**
 * @param condition the path condition that matched, null when the entry has no paths.
 * @param exec the regex result when `condition` is a regex.
 */
export function makeMatch(
  entry: Entry,
  path: string,
  hostMatched: string | null,
  condition: PathCondition | null,
  exec: RegExpExecArray | null,
): Match {
  // Kong: the matched part is the route prefix for a plain path, the whole regex match for a regex.
  const matched = condition === null ? null : exec !== null ? exec[0] : condition.path;
  const prefix = entry.route.strip_path ? matched : null;
  return Object.freeze({
    route: entry.route,
    service: entry.service,
    path,
    prefix,
    upstreamPath: upstreamPath(entry.serviceBase, entry.route.strip_path, entry.v1, path, prefix),
    uriCaptures: exec !== null && condition!.groupCount > 0 ? captures(exec) : null,
    hostMatched,
  });
}

function captures(exec: RegExpExecArray): UriCaptures {
  const unnamed = new Array<string>(exec.length);
  for (let i = 0; i < exec.length; i++) unnamed[i] = exec[i] ?? '';
  // No prototype: a group may legally be called `__proto__`.
  const named = Object.create(null) as Record<string, string>;
  const groups = exec.groups;
  if (groups !== undefined) {
    for (const name in groups) {
      const value = groups[name];
      if (value !== undefined) named[name] = value;
    }
  }
  return Object.freeze({ named: Object.freeze(named), unnamed: Object.freeze(unnamed) });
}
