// The credentials index: O(1) lookups of keys, consumers and ACL groups, built from a snapshot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CredentialsIndex } from '../../workers/credentials.ts';
import { snapshotOf } from './plugins/helpers.ts';

const snapshot = snapshotOf({
  consumers: [
    {
      username: 'alice',
      custom_id: 'c-alice',
      keyauth_credentials: [{ key: 'alice-1' }, { key: 'alice-2' }],
      acls: [{ group: 'admins' }, { group: 'staff' }],
      basicauth_credentials: [{ username: 'alice-basic', password: 'secret' }],
    },
    { username: 'bob', keyauth_credentials: [{ key: 'bob-1' }] },
    { custom_id: 'only-custom' },
  ],
});
const index = new CredentialsIndex(snapshot.entities.consumers, snapshot.entities.credentials);
const alice = Object.values(snapshot.entities.consumers).find((c) => c.username === 'alice')!;

test('key-auth keys resolve to their credential and consumer', () => {
  const match = index.keyAuth('alice-2');
  assert.equal(match?.consumer, alice);
  assert.equal(match?.credential.kind, 'keyauth_credentials');
  assert.equal(match?.credential.key, 'alice-2');
  assert.equal(index.keyAuth('bob-1')?.consumer.username, 'bob');
  assert.equal(index.keyAuth('nope'), null);
});

test('consumers by id, username, custom_id; id-or-username as Kong loads `anonymous`', () => {
  assert.equal(index.consumerById(alice.id), alice);
  assert.equal(index.consumerByUsername('alice'), alice);
  assert.equal(index.consumerByCustomId('c-alice'), alice);
  assert.equal(index.consumerByCustomId('only-custom')?.username, null);
  assert.equal(index.consumerByIdOrUsername(alice.id), alice);
  assert.equal(index.consumerByIdOrUsername('alice'), alice);
  assert.equal(index.consumerByIdOrUsername('nobody'), null);
  assert.equal(index.consumerCount, 3);
});

test('ACL groups per consumer, and an empty list for a consumer without any', () => {
  assert.deepEqual(index.aclGroups(alice.id), ['admins', 'staff']);
  assert.deepEqual(index.aclGroups(index.consumerByUsername('bob')!.id), []);
});

test('basic-auth credentials by username', () => {
  assert.equal(index.basicAuth('alice-basic')?.consumer, alice);
});

test('a credential whose consumer is missing authenticates nobody', () => {
  const orphan = new CredentialsIndex({}, { x: { id: 'x', kind: 'keyauth_credentials', consumer: { id: 'gone' }, key: 'k' } });
  assert.equal(orphan.keyAuth('k'), null);
  assert.equal(CredentialsIndex.EMPTY.keyAuth('k'), null);
});
