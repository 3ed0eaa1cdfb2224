// Certificate selection by server name (workers/tls/sni-table.ts), as Kong's certificate.lua:
// exact, then `*.rest`, then `first.labels.*`, then the `*` entry, then the default (null).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SecureContext } from 'node:tls';
import { prefixWildcard, SniTable, suffixWildcard } from '../../../workers/tls/sni-table.ts';

/** Stand-ins for contexts: the table only hands them back. */
function ctx(name: string): SecureContext {
  return { name } as unknown as SecureContext;
}

test("wildcards are produced as Kong's patterns produce them", () => {
  assert.equal(prefixWildcard('api.example.com'), '*.example.com');
  assert.equal(prefixWildcard('a.b.c.d'), '*.b.c.d');
  assert.equal(prefixWildcard('example.com'), null);
  assert.equal(prefixWildcard('localhost'), null);
  assert.equal(suffixWildcard('api.example.com'), 'api.example.*');
  assert.equal(suffixWildcard('example.com'), 'example.*');
  assert.equal(suffixWildcard('localhost'), null);
  assert.equal(suffixWildcard('trailing.'), null);
});

test('exact beats the prefix wildcard, which beats the suffix wildcard, which beats `*`; else the default', () => {
  const table = new SniTable(
    new Map([
      ['api.example.com', ctx('exact')],
      ['*.example.com', ctx('prefix')],
      ['api.example.*', ctx('suffix')],
      ['shop.example.*', ctx('shop-suffix')],
      ['*', ctx('star')],
    ]),
  );
  const name = (servername: string): string | null => (table.select(servername) as unknown as { name: string } | null)?.name ?? null;
  assert.equal(name('api.example.com'), 'exact');
  assert.equal(name('API.Example.COM'), 'exact');
  assert.equal(name('www.example.com'), 'prefix');
  assert.equal(name('api.example.org'), 'suffix');
  assert.equal(name('shop.example.net'), 'shop-suffix');
  // One label only: `*.example.com` does not cover `a.b.example.com`.
  assert.equal(name('a.b.example.com'), 'star');
  assert.equal(name('other.test'), 'star');
  const noStar = new SniTable(new Map([['api.example.com', ctx('exact')]]));
  assert.equal(noStar.select('other.test'), null);
  assert.equal(new SniTable(new Map()).select('api.example.com'), null);
});
