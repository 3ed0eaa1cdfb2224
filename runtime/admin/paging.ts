// Kong's Admin API paging (primary thread): `?size=` (default 100, at most 1000), `?offset=` (the
// opaque token the previous page's `next` carried), `?tags=a,b` (all) or `a/b` (any), and the body
// `{data, next, offset}`. A page is a slice of a list the snapshot index already holds: O(page).
import type { KongReply } from './kong-router.ts';

const DEFAULT_SIZE = 100;
const MAX_SIZE = 1000;

export function page(list: readonly object[], url: URL, render: (e: object) => unknown): KongReply {
  const sizeParam = url.searchParams.get('size');
  const size = sizeParam === null ? DEFAULT_SIZE : Number(sizeParam);
  if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
    return { status: 400, body: { message: `size must be an integer between 1 and ${MAX_SIZE}`, name: 'invalid size', code: 7 } };
  }
  let start = 0;
  const offsetParam = url.searchParams.get('offset');
  if (offsetParam !== null) {
    const decoded = /^[A-Za-z0-9_-]+$/.test(offsetParam) ? Number(Buffer.from(offsetParam, 'base64url').toString('latin1')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0) {
      return { status: 400, body: { message: `'${offsetParam}' is not a valid offset: bad base64 encoding`, name: 'invalid offset', code: 8 } };
    }
    start = decoded;
  }
  const tags = url.searchParams.get('tags');
  const source = tags === null ? list : list.filter(tagFilter(tags));
  const data = source.slice(start, start + size).map(render);
  const end = start + size;
  if (end >= source.length) return { status: 200, body: { data, next: null } };
  const offset = Buffer.from(String(end), 'latin1').toString('base64url');
  const next = new URLSearchParams({ offset });
  if (tags !== null) next.set('tags', tags);
  if (sizeParam !== null) next.set('size', sizeParam);
  return { status: 200, body: { data, next: `${url.pathname}?${next.toString()}`, offset } };
}

function tagFilter(expr: string): (e: object) => boolean {
  const any = expr.includes('/');
  const wanted = expr.split(any ? '/' : ',').filter((t) => t !== '');
  return (e) => {
    const have = ((e as { tags?: string[] | null }).tags ?? []) as string[];
    return any ? wanted.some((t) => have.includes(t)) : wanted.every((t) => have.includes(t));
  };
}
