// Kong Admin API reads of upstreams and targets (primary thread), and the certificate families,
// which Sluice holds none of (a file with certificates is refused), so they list empty.
import { kongShape } from './kong-shapes.ts';
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
  { path: '/certificates', entity: 'certificates', get: ({ url }) => page([], url, (e) => e) },
  { path: '/snis', entity: 'snis', get: ({ url }) => page([], url, (e) => e) },
  { path: '/ca_certificates', entity: 'ca_certificates', get: ({ url }) => page([], url, (e) => e) },
];
