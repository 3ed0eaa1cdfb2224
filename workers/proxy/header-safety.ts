// Runs on a worker thread. Header names and values that plugins set are checked for the characters
// that would end a header line early (CR, LF, NUL) before they go into a head. Most are the same
// text request after request (X-Consumer-ID, a consumer's id and username from the config, a CORS
// origin): a bounded set of texts already found safe answers for those with one hash lookup, where
// the regular expression costs about 240 instructions a string (callgrind,
// bench/plugin-instructions.ts) and an auth plugin's request carries eight.

const UNSAFE = /[\r\n\0]/;
/** Longer texts are checked every time: the set must not hold large values a client could send. */
const KNOWN_MAX_LENGTH = 256;
/** Beyond this many distinct texts the set starts over (values derived from client input churn it). */
const KNOWN_MAX = 4096;
const known = new Set<string>();

/** True when `text` holds no CR, LF or NUL. */
export function safeHeaderText(text: string): boolean {
  if (known.has(text)) return true;
  if (UNSAFE.test(text)) return false;
  if (text.length <= KNOWN_MAX_LENGTH) {
    if (known.size >= KNOWN_MAX) known.clear();
    known.add(text);
  }
  return true;
}

/** How many texts are remembered as safe (for tests). */
export function knownSafeCount(): number {
  return known.size;
}
