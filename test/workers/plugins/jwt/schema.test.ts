// jwt's schema against Kong's: defaults, the maximum_expiration check, refusals with paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/jwt.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = {
    uri_param_names: ['jwt'],
    cookie_names: [],
    key_claim_name: 'iss',
    secret_is_base64: false,
    claims_to_verify: null,
    anonymous: null,
    run_on_preflight: true,
    maximum_expiration: 0,
    header_names: ['authorization'],
    realm: null,
  };
  assert.deepEqual(pluginConfig('jwt'), expected);
});

test('maximum_expiration needs exp among claims_to_verify, and stays within a year', () => {
  assert.deepEqual(refusals('jwt', '{ maximum_expiration: 10 }'), [['config.claims_to_verify', "expected to contain: 'exp'"]]);
  assert.deepEqual(refusals('jwt', '{ maximum_expiration: 10, claims_to_verify: [nbf] }'), [['config.claims_to_verify', "expected to contain: 'exp'"]]);
  assert.deepEqual(refusals('jwt', '{ maximum_expiration: 10, claims_to_verify: [exp] }'), []);
  assert.deepEqual(refusals('jwt', '{ maximum_expiration: 31536001, claims_to_verify: [exp] }'), [['config.maximum_expiration', 'value should be between 0 and 31536000']]);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('jwt', '{ claims_to_verify: [iat], uri_param_names: [a, a], secret_is_base64: 1, hide_credentials: true }'), [
    ['config.claims_to_verify.0', 'expected one of: exp, nbf'],
    ['config.hide_credentials', 'unknown field'],
    ['config.secret_is_base64', 'expected a boolean'],
    ['config.uri_param_names', 'duplicate value: items 1 and 0 are the same'],
  ]);
});
