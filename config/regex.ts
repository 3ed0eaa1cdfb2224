// Regex route paths (`~/users/\d+$`). Pure; runs on any thread. Validation and the router both
// use these two functions, so a path that validates is exactly a path the router can compile.
//
// Kong compiles regex paths with PCRE; Sluice uses JS RegExp with the `u` flag. What differs:
// - PCRE-only syntax is an error here: possessive quantifiers (`a++`), atomic groups (`(?>...)`),
//   `\A` `\z` `\Z`, recursion (`(?R)`), `(?P<name>...)` (write `(?<name>...)`), whole-pattern
//   inline flags (`(?i)abc`; the scoped form `(?i:abc)` works), `\h`, `\K`, conditionals.
// - The `u` flag is strict about escapes: `\-` outside a class and a lone `{` or `]` are errors,
//   where PCRE reads them as literals. Escape what you mean (`\{`) or put it in a class (`[-]`).
// - Lookbehind in JS may be variable-length (PCRE requires fixed length): a superset, harmless.
// Like Kong, a regex path is anchored at the start of the request path only.

/** True for a regex path (Kong 3.x: it starts with `~`). */
export function isRegexPath(path: string): boolean {
  return path.startsWith('~');
}

/** Compiles the pattern alone, to validate it; returns the error message or null. */
export function checkRegexPath(path: string): string | null {
  try {
    new RegExp(path.slice(1), 'u');
    return null;
  } catch (err) {
    return `invalid regex: '${path.slice(1)}' (${(err as Error).message})`;
  }
}

/**
 * The router's RegExp for a regex path: anchored at the start. The pattern alone was validated
 * first because wrapping can make an invalid one valid (`a)(b` becomes `^(?:a)(b)`).
 */
export function compileRegexPath(path: string): RegExp {
  const body = path.slice(1);
  new RegExp(body, 'u');
  return new RegExp(`^(?:${body})`, 'u');
}
