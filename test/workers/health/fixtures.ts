// Healthcheck settings with Kong's defaults, for the health tests (test thread).
import type { UpstreamHealthchecks } from '../../../config/types.ts';

type Active = UpstreamHealthchecks['active'];
type ActiveFields = Partial<Omit<Active, 'healthy' | 'unhealthy'>> & { healthy?: Partial<Active['healthy']>; unhealthy?: Partial<Active['unhealthy']> };

export function checks(active: ActiveFields = {}): UpstreamHealthchecks {
  return {
    threshold: 0,
    active: {
      type: 'http',
      timeout: 1,
      concurrency: 10,
      http_path: '/',
      https_sni: null,
      https_verify_certificate: true,
      headers: null,
      ...active,
      healthy: { interval: 0, http_statuses: [200, 302], successes: 0, ...active.healthy },
      unhealthy: { interval: 0, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505], tcp_failures: 0, timeouts: 0, http_failures: 0, ...active.unhealthy },
    },
    passive: {
      type: 'http',
      healthy: { http_statuses: [200, 201], successes: 0 },
      unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
    },
  };
}
