// Kong Admin API reads of upstreams and targets (primary thread), and the certificate families.
// A certificate's private keys are never listed here (redact.ts): an authenticated GET /config
// is where they can be read.
import { kongShape } from './kong-shapes.ts';
import { shownEntities } from './redact.ts';
import { notFound, type KongRoute } from './kong-router.ts';
import { page } from './paging.ts';

export const upstreamsRoutes: KongRoute[] = [
  { path: '/upstreams', entity: 'upstreams', get: ({ index, url, loadedAt }) => page(index.lists.upstreams, url, (e) => kongShape('upstreams', e, loadedAt)) },
  {
    path: '/upstreams/{upstream}',
    entity: 'upstreams',
    get: ({ index, params, loadedAt }) => {
      const u = index.find('upstreams', params['upstream']!);
      return u === undefined ? notFound() : { status: 200, body: kongShape('upstreams', u, loadedAt) };
    },
  },
  {
    path: '/upstreams/{upstream}/targets',
    entity: 'targets',
    get: ({ index, params, url, loadedAt }) => {
      const u = index.find('upstreams', params['upstream']!);
      return u === undefined ? notFound() : page(index.targetsByUpstream.get(u.id) ?? [], url, (e) => kongShape('targets', e, loadedAt));
    },
  },
  { path: '/certificates', entity: 'certificates', get: ({ index, url, loadedAt }) => page(shownEntities('certificates', [...index.lists.certificates], false), url, (e) => kongShape('certificates', e, loadedAt)) },
  { path: '/snis', entity: 'snis', get: ({ index, url, loadedAt }) => page(index.lists.snis, url, (e) => kongShape('snis', e, loadedAt)) },
  { path: '/ca_certificates', entity: 'ca_certificates', get: ({ index, url, loadedAt }) => page(index.lists.ca_certificates, url, (e) => kongShape('ca_certificates', e, loadedAt)) },
];
