import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compileRegexPath } from '../../config/regex.ts';
import { byName, load } from './helpers.ts';

const text = readFileSync(new URL('../../config/default.yaml', import.meta.url), 'utf8');

test('config/default.yaml validates and holds exactly the echo and welcome services and routes', () => {
  const { entities } = load(text);
  assert.equal(Object.keys(entities.services).length, 2);
  assert.equal(Object.keys(entities.routes).length, 2);
  for (const g of ['upstreams', 'targets', 'consumers', 'credentials', 'plugins'] as const) {
    assert.equal(Object.keys(entities[g]).length, 0, g);
  }
  const echo = byName(entities.services, 'echo');
  assert.deepEqual([echo.protocol, echo.host, echo.port, echo.path], ['http', '127.0.0.1', 8002, null]);
  const welcome = byName(entities.services, 'welcome');
  assert.deepEqual([welcome.host, welcome.port, welcome.path], ['127.0.0.1', 8002, '/welcome']);

  const echoRoute = byName(entities.routes, 'echo');
  assert.deepEqual(echoRoute.paths, ['/echo']);
  assert.equal(echoRoute.strip_path, true);
  assert.deepEqual(echoRoute.service, { id: echo.id });
  const welcomeRoute = byName(entities.routes, 'welcome');
  assert.deepEqual(welcomeRoute.paths, ['~/$']);
  assert.deepEqual(welcomeRoute.service, { id: welcome.id });
});

test('the welcome route matches exactly /', () => {
  const re = compileRegexPath('~/$');
  assert.equal(re.test('/'), true);
  assert.equal(re.test('/echo'), false);
});
