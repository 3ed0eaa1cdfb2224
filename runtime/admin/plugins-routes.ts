// Kong Admin API reads of plugins (primary thread): the list, one by id (or instance_name), and
// `/plugins/enabled`, the plugins this node can run.
import { pluginSchemas } from '../../config/plugins/index.ts';
import { kongShape } from './kong-shapes.ts';
import { notFound, type KongRoute } from './kong-router.ts';
import { page } from './paging.ts';

export const pluginsRoutes: KongRoute[] = [
  { path: '/plugins', entity: 'plugins', get: ({ index, url, loadedAt }) => page(index.lists.plugins, url, (e) => kongShape('plugins', e, loadedAt)) },
  { path: '/plugins/enabled', get: () => ({ status: 200, body: { enabled_plugins: Object.keys(pluginSchemas).sort() } }) },
  {
    path: '/plugins/{plugin}',
    entity: 'plugins',
    get: ({ index, params, loadedAt }) => {
      const p = index.find('plugins', params['plugin']!);
      return p === undefined ? notFound() : { status: 200, body: kongShape('plugins', p, loadedAt) };
    },
  },
];
