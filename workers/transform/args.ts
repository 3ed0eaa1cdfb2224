// Query strings and form bodies as Kong's plugins see them (worker thread): ngx.decode_args /
// ngx.encode_args. A key without `=` is the flag `true`; a repeated key is a list; at most 100
// arguments are read (ngx's default `max_args`), the rest ignored, as in Kong.

export type ArgValue = string | true | (string | true)[];
/** Arguments in their order of first appearance; no prototype, so any key is plain data. */
export type Args = Record<string, ArgValue>;

export const MAX_ARGS = 100;

function unescape(text: string): string {
  const plus = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    // A malformed escape: ngx leaves what it cannot decode; so does this, whole.
    return plus;
  }
}

export function decodeArgs(text: string): Args {
  const args = Object.create(null) as Args;
  if (text === '') return args;
  let count = 0;
  for (const pair of text.split('&', MAX_ARGS * 4)) {
    if (pair === '') continue;
    if (++count > MAX_ARGS) break;
    const eq = pair.indexOf('=');
    const key = unescape(eq === -1 ? pair : pair.slice(0, eq));
    if (key === '') continue;
    const value: string | true = eq === -1 ? true : unescape(pair.slice(eq + 1));
    const seen = args[key];
    if (seen === undefined) args[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else args[key] = [seen, value];
  }
  return args;
}

function escape(text: string): string {
  return encodeURIComponent(text);
}

export function encodeArgs(args: Args): string {
  let out = '';
  for (const key in args) {
    const value = args[key]!;
    const k = escape(key);
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) {
      out += out === '' ? '' : '&';
      out += item === true ? k : `${k}=${escape(item)}`;
    }
  }
  return out;
}

/** Kong's append_value on an argument. */
export function appendArg(current: ArgValue | undefined, value: string): ArgValue {
  // A flag is a boolean to Lua, neither string nor table: replaced.
  if (current === undefined || current === true) return [value];
  if (Array.isArray(current)) {
    current.push(value);
    return current;
  }
  return [current, value];
}

/** Kong's rename(): moves a present value (Lua truthy: every decoded value is) to a new key. */
export function renameArg(args: Args, from: string, to: string): boolean {
  if (from === to) return false;
  const value = args[from];
  if (value === undefined) return false;
  delete args[from];
  args[to] = value;
  return true;
}
