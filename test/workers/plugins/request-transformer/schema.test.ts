// request-transformer's schema against Kong's: defaults, entry formats, refusals with their paths,
// and templates that would need Lua refused as not supported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/request-transformer.ts';
import { pluginSchemas } from '../../../../config/plugins/index.ts';
import { parseTemplate } from '../../../../config/plugins/transformer-fields.ts';
import { prepareConfig } from '../../../../config/prepare.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const empty = { body: [], headers: [], querystring: [] };
  const expected: Config = { http_method: null, remove: empty, rename: empty, replace: { ...empty, uri: null }, add: empty, append: empty };
  assert.deepEqual(pluginConfig('request-transformer'), expected);
});

test('entries: header names, key:value pairs, methods', () => {
  assert.deepEqual(refusals('request-transformer', '{ add: { headers: ["x-a:1", "x_b:", "x-c::2"], querystring: ["q:1"], body: ["b::v"] }, rename: { headers: ["a:b"] }, http_method: POST }'), []);
  assert.deepEqual(
    refusals('request-transformer', '{ http_method: post, add: { headers: ["bad header:1", "nocolon"], body: ["k"], querystring: ["q:"] }, rename: { headers: ["a:b c"] }, remove: { headers: ["x y"] } }'),
    [
      ['config.add.body.0', "expected 'key:value' with a non-empty value"],
      ['config.add.headers.0', "invalid header: expected 'name:value', the name holding only A-Z, a-z, 0-9, '_' and '-'"],
      ['config.add.headers.1', "invalid header: expected 'name:value', the name holding only A-Z, a-z, 0-9, '_' and '-'"],
      ['config.add.querystring.0', "expected 'key:value' with a non-empty value"],
      ['config.http_method', 'invalid method: expected upper-case letters only'],
      ['config.remove.headers.0', "invalid header: the name before ':' may hold only A-Z, a-z, 0-9, '_' and '-'"],
      ['config.rename.headers.0', "invalid header rename: expected 'old:new', both names holding only A-Z, a-z, 0-9, '_' and '-'"],
    ],
  );
  assert.deepEqual(refusals('request-transformer', '{ add: { cookies: [] }, extra: 1 }'), [
    ['config.add.cookies', 'unknown field'],
    ['config.extra', 'unknown field'],
  ]);
});

test('templates: lookups render; Lua code is refused as not supported, at its path', () => {
  const supported = [
    'h:$(headers.x_a)',
    "h:$(headers['X-A'])",
    'h:$(query_params["q"])',
    'h:$(uri_captures.user1)',
    'h:$(uri_captures[0])',
    'h:$(shared.my_version)',
    "h:$('$(uri_captures.user1)')",
    'h:a $ b $(headers.host)-$(headers.host)',
  ];
  assert.deepEqual(refusals('request-transformer', JSON.stringify({ add: { headers: supported } })), []);
  const lua = ["h:$(uri_captures.user1 or 'default1')", 'h:$(10 * uri_captures.user1)', 'h:$(ERROR())', 'h:$(type(headers.x))', 'h:$(shared.written = true)'];
  const errors = refusals('request-transformer', JSON.stringify({ add: { headers: lua }, replace: { uri: '/x/$(foo(bar))' } }));
  assert.deepEqual(
    errors.map(([field]) => field),
    ['config.add.headers.0', 'config.add.headers.1', 'config.add.headers.2', 'config.add.headers.3', 'config.add.headers.4', 'config.replace.uri'],
  );
  for (const [, message] of errors) assert.match(message, /^not supported by Sluice/);
  const result = prepareConfig(JSON.stringify({ _format_version: '3.0', plugins: [{ name: 'request-transformer', config: { add: { headers: lua } } }] }), { plugins: pluginSchemas });
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.code, 'SLUICE_ERR_UNSUPPORTED', 'every error is a Kong feature Sluice does not implement');
    for (const e of result.errors) assert.equal(e.code, 'SLUICE_ERR_UNSUPPORTED');
  }
  const mixed = prepareConfig(JSON.stringify({ _format_version: '3.0', plugins: [{ name: 'request-transformer', config: { http_method: 'get', add: { headers: lua } } }] }), { plugins: pluginSchemas });
  assert.equal(!mixed.ok && mixed.code, 'SLUICE_ERR_CONFIG_INVALID', 'an invalid value besides: the config is invalid');
});

test('parseTemplate splits literals and lookups', () => {
  assert.equal(parseTemplate('plain'), null);
  assert.deepEqual(parseTemplate("/u/$(uri_captures[1])/$( headers['x-id'] )!$('$(x)')"), [
    '/u/',
    { table: 'uri_captures', key: 1 },
    '/',
    { table: 'headers', key: 'x-id' },
    '!',
    '$(x)',
  ]);
  assert.throws(() => parseTemplate('$(a or b)'), TypeError);
});
