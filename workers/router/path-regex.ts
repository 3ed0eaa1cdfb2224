// Regex route paths (`~` prefix), compiled once per router build (worker thread).
// Kong anchors a regex path at the start of the path (traditional: PCRE anchored flag; ATC: a `^` prefix)
// and matches it against the normalized path. Sluice wraps it as `^(?:…)` so a top-level alternation is
// anchored too, as in Kong's traditional router. `(?P<name>` (PCRE/Rust syntax) is accepted as `(?<name>`.
// JS regexes have no PCRE match limit: a catastrophic pattern in config costs CPU on this worker.

export interface CompiledPathRegex {
  readonly regex: RegExp;
  readonly groupCount: number;
  /**
   * Literal text every match starts with (`~/users/\d+` → `/users/`), '' when none can be proven.
   * The router files the regex under this key in its prefix tree, so it only runs on paths that start with it.
   */
  readonly literal: string;
}

/** @throws SyntaxError when the pattern is not a valid JS regular expression. */
export function compilePathRegex(path: string): CompiledPathRegex {
  const source = path.slice(1).replaceAll('(?P<', '(?<');
  const regex = new RegExp('^(?:' + source + ')');
  // An empty alternative always matches, and the match array then has one slot per group.
  const groupCount = new RegExp('(?:' + source + ')|').exec('')!.length - 1;
  return { regex, groupCount, literal: literalPrefix(source) };
}

const META = new Set('\\^$.|?*+()[]{}');

/** Conservative: stops at the first metacharacter and gives up on any top-level alternation. */
export function literalPrefix(source: string): string {
  if (hasTopLevelAlternation(source)) return '';
  let end = 0;
  while (end < source.length && !META.has(source[end]!)) end++;
  // `ab?`, `ab*`, `ab{0,2}`: the last literal character may be absent from a match.
  const next = source[end];
  if (end > 0 && (next === '?' || next === '*' || next === '{')) end--;
  return source.slice(0, end);
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
