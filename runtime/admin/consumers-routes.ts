// Kong Admin API reads of consumers and their credentials (primary thread):
// `/consumers/{consumer}/{key-auth|basic-auth|jwt|acls|hmac-auth}` and a consumer's plugins.
import { CREDENTIAL_ENDPOINTS } from './entity-index.ts';
import { kongShape } from './kong-shapes.ts';
import { notFound, type KongRoute } from './kong-router.ts';
import { page } from './paging.ts';

const DAO: Record<string, string> = { 'key-auth': 'keyauth_credentials', 'basic-auth': 'basicauth_credentials', jwt: 'jwt_secrets', acls: 'acls', 'hmac-auth': 'hmacauth_credentials' };

export const consumersRoutes: KongRoute[] = [
  { path: '/consumers', entity: 'consumers', get: ({ index, url, loadedAt }) => page(index.lists.consumers, url, (e) => kongShape('consumers', e, loadedAt)) },
  {
    path: '/consumers/{consumer}',
    entity: 'consumers',
    get: ({ index, params, loadedAt }) => {
      const c = index.find('consumers', params['consumer']!);
      return c === undefined ? notFound() : { status: 200, body: kongShape('consumers', c, loadedAt) };
    },
  },
  {
    path: '/consumers/{consumer}/plugins',
    entity: 'plugins',
    get: ({ index, params, url, loadedAt }) => {
      const c = index.find('consumers', params['consumer']!);
      return c === undefined ? notFound() : page(index.pluginsByConsumer.get(c.id) ?? [], url, (e) => kongShape('plugins', e, loadedAt));
    },
  },
  ...Object.entries(CREDENTIAL_ENDPOINTS).flatMap(([endpoint, kind]): KongRoute[] => [
    {
      path: `/consumers/{consumer}/${endpoint}`,
      entity: DAO[endpoint],
      get: ({ index, params, url, loadedAt }) => {
        const c = index.find('consumers', params['consumer']!);
        if (c === undefined) return notFound();
        return page(kind === null ? [] : (index.credentialsByConsumer.get(`${c.id} ${kind}`) ?? []), url, (e) => kongShape('credentials', e, loadedAt));
      },
    },
    {
      path: `/consumers/{consumer}/${endpoint}/{credential}`,
      entity: DAO[endpoint],
      get: ({ index, params, loadedAt }) => {
        const c = index.find('consumers', params['consumer']!);
        if (c === undefined || kind === null) return notFound();
        const wanted = params['credential']!;
        const found = (index.credentialsByConsumer.get(`${c.id} ${kind}`) ?? []).find((x) => x.id === wanted.toLowerCase() || x['key'] === wanted || x['username'] === wanted);
        return found === undefined ? notFound() : { status: 200, body: kongShape('credentials', found, loadedAt) };
      },
    },
  ]),
];
