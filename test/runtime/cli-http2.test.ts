// The HTTP/2 CLI options (runtime/cli.ts): defaults, flags, their SLUICE_* variables, bad values
// refused with the flag's name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions, type Options } from '../../runtime/cli.ts';
import { DEFAULT_HTTP2_SETTINGS } from '../../runtime/protocol/http2-settings.ts';

function parse(args: string[], env: NodeJS.ProcessEnv = {}): Options {
  const options = parseOptions(args, env);
  assert.notEqual(options, 'help');
  return options as Options;
}

test('defaults: no h2c, 128 concurrent streams (nginx), 200 resets per 10 s', () => {
  assert.deepEqual(parse([]).http2, { h2c: false, alpn: true, maxConcurrentStreams: 128, maxResets: 200 });
  assert.deepEqual(parse([]).http2, DEFAULT_HTTP2_SETTINGS);
});

test('flags and SLUICE_* variables; a flag wins', () => {
  assert.deepEqual(parse(['--h2c', '--h2-max-concurrent-streams', '10', '--h2-max-resets', '5']).http2, { h2c: true, alpn: true, maxConcurrentStreams: 10, maxResets: 5 });
  const env = { SLUICE_H2C: 'true', SLUICE_H2_MAX_CONCURRENT_STREAMS: '64', SLUICE_H2_MAX_RESETS: '9' };
  assert.deepEqual(parse([], env).http2, { h2c: true, alpn: true, maxConcurrentStreams: 64, maxResets: 9 });
  assert.equal(parse(['--h2-max-concurrent-streams', '32'], env).http2.maxConcurrentStreams, 32);
});

test('bad values are refused with the flag named', () => {
  assert.throws(() => parse(['--h2-max-concurrent-streams', '0']), /--h2-max-concurrent-streams/);
  assert.throws(() => parse(['--h2-max-concurrent-streams', 'many']), /--h2-max-concurrent-streams/);
  assert.throws(() => parse(['--h2-max-resets', '-1']), /--h2-max-resets/);
});
