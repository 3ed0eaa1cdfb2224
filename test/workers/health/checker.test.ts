import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import type { Target, Upstream } from '../../../config/types.ts';
import { TargetSlots } from '../../../runtime/health/slots.ts';
import { createUpstreamMemory, targetKey, UpstreamMemory } from '../../../runtime/protocol/upstream-memory.ts';
import { ActiveChecker } from '../../../workers/health/checker.ts';
import { probe } from '../../../workers/health/probe.ts';
import { TimerWheel } from '../../../workers/timers/wheel.ts';
import { startUpstream } from '../../helpers/upstream.ts';
import { snapshot, target, upstream } from '../balancer/fixtures.ts';
import { checks } from './fixtures.ts';

async function until(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await delay(20);
  }
}

function setup(ups: Upstream[], tgts: Target[]): { memory: UpstreamMemory; checker: ActiveChecker; wheel: TimerWheel } {
  const memory = new UpstreamMemory(createUpstreamMemory(64));
  new TargetSlots(memory).sync(snapshot(1, ups, tgts));
  const wheel = new TimerWheel();
  const checker = new ActiveChecker(memory, wheel, probe);
  checker.update(ups, tgts);
  return { memory, checker, wheel };
}

test('http_failures failed probes turn a target unhealthy; successes probes turn it back', async (t) => {
  let failing = true;
  const server = await startUpstream((_req, res) => {
    res.statusCode = failing ? 500 : 200;
    res.end();
  });
  t.after(() => server.close());
  const u = upstream({ healthchecks: checks({ healthy: { interval: 0.05, successes: 2 }, unhealthy: { interval: 0.05, http_failures: 3 } }) as unknown as Record<string, unknown> });
  const tg = target(`127.0.0.1:${server.port}`);
  const { memory, checker } = setup([u], [tg]);
  t.after(() => checker.close());
  const slot = memory.find(targetKey(u.id, tg.target));
  await until('unhealthy', () => !memory.healthy(slot));
  assert.ok(checker.sent.get(targetKey(u.id, tg.target))! >= 3, 'not before three probes');
  failing = false;
  await until('healthy again', () => memory.healthy(slot));
  assert.equal(memory.flips(slot), 2);
});

test('no more than `concurrency` probes of one upstream at a time', async (t) => {
  let running = 0;
  let most = 0;
  const tgts: Target[] = [];
  for (let i = 0; i < 6; i++) {
    const server = await startUpstream((_req, res) => {
      running++;
      most = Math.max(most, running);
      setTimeout(() => {
        running--;
        res.end();
      }, 100);
    });
    t.after(() => server.close());
    tgts.push(target(`127.0.0.1:${server.port}`));
  }
  const u = upstream({ healthchecks: checks({ concurrency: 2, healthy: { interval: 0.01 }, unhealthy: { interval: 0.01 } }) as unknown as Record<string, unknown> });
  const { checker } = setup([u], tgts);
  t.after(() => checker.close());
  await until('probes ran', () => [...checker.sent.values()].reduce((a, b) => a + b, 0) >= 12);
  assert.equal(most, 2);
});

test('a target removed from the config, or an upstream whose checks are turned off, is probed no more', async (t) => {
  let hits = 0;
  const server = await startUpstream((_req, res) => {
    hits++;
    res.end();
  });
  t.after(() => server.close());
  const on = upstream({ healthchecks: checks({ healthy: { interval: 0.02 } }) as unknown as Record<string, unknown> });
  const tg = target(`127.0.0.1:${server.port}`);
  const { checker } = setup([on], [tg]);
  t.after(() => checker.close());
  await until('probed', () => hits >= 2);
  assert.equal(checker.size, 1);
  checker.update([upstream({ healthchecks: checks() as unknown as Record<string, unknown> })], [tg]);
  assert.equal(checker.size, 0);
  await delay(100);
  const after = hits;
  await delay(200);
  assert.ok(hits <= after + 1, 'at most a probe already in flight');
});
