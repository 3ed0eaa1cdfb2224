// The Admin API's guard options on the command line (runtime/cli.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions, type Options } from '../../runtime/cli.ts';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): Options {
  const options = parseOptions(argv, env);
  assert.notEqual(options, 'help');
  return options as Options;
}

test('allow lists repeat and split on commas; origins are normalized as browsers send them', () => {
  const options = parse(['--admin-allow-host', 'a.example, b.example', '--admin-allow-host', '10.0.0.2', '--admin-allow-origin', 'https://GUI.example:8443']);
  assert.deepEqual(options.adminAllowHosts, ['a.example', 'b.example', '10.0.0.2']);
  assert.deepEqual(options.adminAllowOrigins, ['https://gui.example:8443']);
  assert.deepEqual(parse([]).adminAllowHosts, []);
});

test('malformed allow-list entries are refused at start-up', () => {
  for (const bad of [['--admin-allow-host', 'a.example:8001'], ['--admin-allow-host', 'user@a'], ['--admin-allow-origin', 'gui.example'], ['--admin-allow-origin', 'https://gui.example/path'], ['--admin-allow-origin', 'null']]) {
    assert.throws(() => parseOptions(bad, {}), /--admin-allow/, bad.join(' '));
  }
});

test('the token: the flag wins over SLUICE_ADMIN_TOKEN; an empty environment value means none; an empty flag is refused', () => {
  assert.equal(parse([]).adminToken, null);
  assert.equal(parse([], { SLUICE_ADMIN_TOKEN: 'from-env' }).adminToken, 'from-env');
  assert.equal(parse([], { SLUICE_ADMIN_TOKEN: '' }).adminToken, null);
  assert.equal(parse(['--admin-token', 'from-flag'], { SLUICE_ADMIN_TOKEN: 'from-env' }).adminToken, 'from-flag');
  assert.throws(() => parseOptions(['--admin-token', ''], {}), /--admin-token/);
});
