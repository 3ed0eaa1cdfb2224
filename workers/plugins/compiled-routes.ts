// Runs on a worker thread: the compiled phase lists per route, made on a route's first request and
// dropped — only theirs — when a plugin that applies to that route or its service changes, or the
// route goes. A global plugin change drops them all (each is recompiled on its next request from
// the precedence index, which is not rebuilt).
import type { RoutePlugins } from './route-plugins.ts';

/** One route's compiled plugins, for the service it was compiled with (null: no plugin applies). */
class Compiled {
  readonly serviceId: string | null;
  readonly plugins: RoutePlugins | null;

  constructor(serviceId: string | null, plugins: RoutePlugins | null) {
    this.serviceId = serviceId;
    this.plugins = plugins;
  }
}

export class CompiledRoutes {
  #byRoute = new Map<string, Compiled>();
  /** service id → routes compiled for it, so a service-scoped change drops only those. */
  #routesByService = new Map<string, Set<string>>();

  get size(): number {
    return this.#byRoute.size;
  }

  /** The compiled plugins of a route for this service; undefined when not compiled (or compiled for another service). */
  get(routeId: string, serviceId: string | null): RoutePlugins | null | undefined {
    const compiled = this.#byRoute.get(routeId);
    if (compiled === undefined || compiled.serviceId !== serviceId) return undefined;
    return compiled.plugins;
  }

  set(routeId: string, serviceId: string | null, plugins: RoutePlugins | null): void {
    this.dropRoute(routeId);
    this.#byRoute.set(routeId, new Compiled(serviceId, plugins));
    if (serviceId !== null) {
      let routes = this.#routesByService.get(serviceId);
      if (routes === undefined) this.#routesByService.set(serviceId, (routes = new Set()));
      routes.add(routeId);
    }
  }

  dropRoute(routeId: string): void {
    const compiled = this.#byRoute.get(routeId);
    if (compiled === undefined) return;
    this.#byRoute.delete(routeId);
    if (compiled.serviceId === null) return;
    const routes = this.#routesByService.get(compiled.serviceId);
    if (routes === undefined) return;
    routes.delete(routeId);
    if (routes.size === 0) this.#routesByService.delete(compiled.serviceId);
  }

  dropService(serviceId: string): void {
    const routes = this.#routesByService.get(serviceId);
    if (routes === undefined) return;
    this.#routesByService.delete(serviceId);
    for (const routeId of routes) this.#byRoute.delete(routeId);
  }

  dropAll(): void {
    this.#byRoute = new Map();
    this.#routesByService = new Map();
  }
}
