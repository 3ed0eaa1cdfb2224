// Route and service factories with Kong's defaults, for the router tests.
import type { Route, Service } from '../../../config/types.ts';

let created = 0;

/** A route with Kong's defaults; `created_at` increases with each call unless given. */
export function route(fields: Partial<Route> & { id: string }): Route {
  created++;
  return {
    name: null,
    service: { id: 'svc' },
    protocols: ['http', 'https'],
    methods: null,
    hosts: null,
    paths: null,
    headers: null,
    strip_path: true,
    preserve_host: false,
    regex_priority: 0,
    path_handling: 'v0',
    https_redirect_status_code: 426,
    request_buffering: true,
    response_buffering: true,
    tags: null,
    created_at: created,
    ...fields,
  };
}

export function service(fields: Partial<Service> & { id: string }): Service {
  return {
    name: null,
    protocol: 'http',
    host: 'upstream.test',
    port: 80,
    path: null,
    retries: 5,
    connect_timeout: 60000,
    write_timeout: 60000,
    read_timeout: 60000,
    tls_verify: null,
    tls_verify_depth: null,
    enabled: true,
    tags: null,
    ...fields,
  };
}

/** The default service every `route()` points at. */
export const SERVICES: Record<string, Service> = { svc: service({ id: 'svc' }) };
