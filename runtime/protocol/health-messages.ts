// Messages between the primary and the health-check thread (workers/health/main.ts). Both threads
// import this file; types only.
import type { Target, Upstream } from '../../config/types.ts';

export interface HealthBoot {
  /** The shared upstream memory (upstream-memory.ts): where probe results go. */
  upstreams: SharedArrayBuffer;
}

export type ToHealth =
  | { type: 'targets'; upstreams: Upstream[]; targets: Target[] }
  | { type: 'sent'; id: number }
  | { type: 'stop' };

export type FromHealth = { type: 'ready' } | { type: 'sent'; id: number; sent: Record<string, number> };
