import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRegexPath, compileRegexPath, isRegexPath } from '../../config/regex.ts';

test('regex paths start with ~ and compile anchored at the start only', () => {
  assert.equal(isRegexPath('~/a'), true);
  assert.equal(isRegexPath('/a'), false);
  const re = compileRegexPath('~/users/(?<id>\\d+)');
  assert.equal(re.exec('/users/42/x')?.groups?.['id'], '42');
  assert.equal(re.test('/v1/users/42'), false);
});

test('the pattern is validated alone: wrapping must not make an invalid one valid', () => {
  assert.notEqual(checkRegexPath('~a)(b'), null);
  assert.throws(() => compileRegexPath('~a)(b'));
});

test('PCRE-only syntax and u-flag strictness are errors; the scoped inline flag works', () => {
  for (const p of ['~/a++', '~/(?>a)', '~/\\A', '~/(?P<n>a)', '~(?i)/a', '~/a{', '~/\\-']) assert.notEqual(checkRegexPath(p), null, p);
  assert.equal(checkRegexPath('~(?i:/abc)'), null);
  assert.equal(compileRegexPath('~(?i:/abc)').test('/ABC'), true);
});
