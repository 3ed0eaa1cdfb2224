// Kong Admin API `/tags` and `/tags/{tag}` (primary thread): every tagged entity as
// `{entity_name, entity_id, tag}`, paged.
import type { KongRoute } from './kong-router.ts';
import { page } from './paging.ts';

export const tagsRoutes: KongRoute[] = [
  { path: '/tags', get: ({ index, url }) => page(index.tags, url, (e) => e) },
  { path: '/tags/{tag}', get: ({ index, params, url }) => page(index.byTag.get(params['tag']!) ?? [], url, (e) => e) },
];
