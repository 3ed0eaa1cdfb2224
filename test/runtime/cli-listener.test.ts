// The listener's CLI options (runtime/cli.ts): nginx's defaults, values taken as given, and a
// bad value refused with the flag's name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions, type Options } from '../../runtime/cli.ts';
import { DEFAULT_LISTENER_LIMITS } from '../../runtime/protocol/listener-limits.ts';

function parse(args: string[]): Options {
  const options = parseOptions(args);
  assert.notEqual(options, 'help');
  return options as Options;
}

test('defaults: nginx limits, drop underscore names, 60 s send timeout', () => {
  const options = parse([]);
  assert.deepEqual(options.listenerLimits, {
    maxRequestLineBytes: 8192,
    maxHeadBytes: 16384,
    maxHeaderFields: 100,
    keepaliveRequests: 1000,
    maxBodyBytes: 0,
    maxConnections: 0,
    underscoreHeaders: 'drop',
  });
  assert.deepEqual(options.listenerLimits, DEFAULT_LISTENER_LIMITS);
  assert.equal(options.clientTimeouts.sendMs, 60_000);
});

test('every listener option is taken as given', () => {
  const options = parse([
    '--max-request-line', '4096', '--max-request-head', '32768', '--max-header-fields', '50', '--keepalive-requests', '7',
    '--client-max-body-size', '1048576', '--max-connections', '512', '--underscore-headers', 'reject', '--client-send-timeout', '1500',
  ]);
  assert.deepEqual(options.listenerLimits, {
    maxRequestLineBytes: 4096,
    maxHeadBytes: 32768,
    maxHeaderFields: 50,
    keepaliveRequests: 7,
    maxBodyBytes: 1048576,
    maxConnections: 512,
    underscoreHeaders: 'reject',
  });
  assert.equal(options.clientTimeouts.sendMs, 1500);
});

test('bad values are refused with the flag named', () => {
  assert.throws(() => parse(['--underscore-headers', 'maybe']), /--underscore-headers/);
  assert.throws(() => parse(['--client-max-body-size', '-1']), /--client-max-body-size/);
  assert.throws(() => parse(['--max-header-fields', '0']), /--max-header-fields/);
  assert.throws(() => parse(['--keepalive-requests', '1.5']), /--keepalive-requests/);
  assert.throws(() => parse(['--max-request-line', '20000']), /--max-request-line/);
  assert.throws(() => parse(['--client-send-timeout', '0']), /--client-send-timeout/);
});
