// kong_upstream_target_health from the config (runtime/metrics/upstream-health.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from '../../config/types.ts';
import { targetHealthLines, upstreamHealthWanted } from '../../runtime/metrics/upstream-health.ts';

function snapshotWith(plugins: Array<{ enabled: boolean; upstream_health_metrics: boolean }>): Snapshot {
  return {
    entities: {
      upstreams: { u1: { id: 'u1', name: 'orders' } },
      targets: {
        t1: { id: 't1', upstream: { id: 'u1' }, target: '10.0.0.1:8080', weight: 100 },
        t2: { id: 't2', upstream: { id: 'u1' }, target: 'orders.internal', weight: 100 },
      },
      plugins: Object.fromEntries(
        plugins.map((p, i) => [`p${i}`, { id: `p${i}`, name: 'prometheus', enabled: p.enabled, config: { upstream_health_metrics: p.upstream_health_metrics } }]),
      ),
    },
  } as unknown as Snapshot;
}

test('upstream health is exported while an enabled prometheus plugin asks for it', () => {
  assert.equal(upstreamHealthWanted(snapshotWith([])), false);
  assert.equal(upstreamHealthWanted(snapshotWith([{ enabled: true, upstream_health_metrics: false }])), false);
  assert.equal(upstreamHealthWanted(snapshotWith([{ enabled: false, upstream_health_metrics: true }])), false);
  assert.equal(upstreamHealthWanted(snapshotWith([{ enabled: true, upstream_health_metrics: false }, { enabled: true, upstream_health_metrics: true }])), true);
});

test('every target gets the four states, healthchecks_off = 1 (Sluice has no health checks)', () => {
  const lines = targetHealthLines(snapshotWith([]));
  assert.equal(lines.length, 8);
  const t1 = lines.filter((l) => l.target === '10.0.0.1:8080');
  assert.deepEqual(t1.map((l) => [l.state, l.value]), [['healthchecks_off', 1], ['healthy', 0], ['unhealthy', 0], ['dns_error', 0]]);
  assert.equal(t1[0]!.upstream, 'orders');
  assert.equal(t1[0]!.address, '10.0.0.1:8080');
  assert.equal(lines.find((l) => l.target === 'orders.internal')!.address, 'orders.internal:8000');
});
