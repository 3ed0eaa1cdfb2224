// The pure parts of bench/plugin-instructions.ts: reading callgrind's per-thread dump headers and
// the per-request arithmetic that cancels what an interval costs whatever its length.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busiestThread, byThread, parseDumpHeader, perRequest, spreadPct } from '../../bench/harness/report/callgrind.ts';

// The head of a file written by `callgrind_control -d` under valgrind 3.19 --separate-threads=yes.
const DUMP = `# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 6050
cmd:  /work/node --max-semi-space-size=16 runtime --config /tmp/c.json --workers 1
part: 3
thread: 14


desc: I1 cache: 
desc: Timerange: Basic block 2935810 - 34469099
desc: Trigger: dump

positions: line
events: Ir
summary: 78590487


ob=(4) /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30
fl=(20) ???
fn=(5904) operator delete[](void*)
0 1124
`;

test('a dump header gives its part, thread and instruction total', () => {
  assert.deepEqual(parseDumpHeader(DUMP), { part: 3, thread: 14, instructions: 78_590_487 });
  assert.deepEqual(parseDumpHeader(DUMP.replace('summary:', 'totals:')), { part: 3, thread: 14, instructions: 78_590_487 });
});

test('a file that is not a callgrind dump, or has no total, is refused', () => {
  assert.equal(parseDumpHeader('hello\npart: 1\nthread: 1\nsummary: 5\n'), null);
  assert.equal(parseDumpHeader(DUMP.replace('summary: 78590487', '')), null);
  assert.equal(parseDumpHeader(DUMP.replace('thread: 14', '')), null);
});

test('the worker is the busiest thread of the interval', () => {
  const dumps = [
    { part: 2, thread: 1, instructions: 500 },
    { part: 2, thread: 14, instructions: 9_000 },
    { part: 3, thread: 1, instructions: 800 },
    { part: 3, thread: 5, instructions: 30_000 },
    { part: 3, thread: 14, instructions: 20_000 },
  ];
  assert.equal(busiestThread(byThread(dumps, 2)), 14);
  assert.equal(busiestThread(byThread(dumps, 3)), 5);
  assert.deepEqual([...byThread(dumps, 3)].sort((a, b) => a[0] - b[0]), [[1, 800], [5, 30_000], [14, 20_000]]);
  assert.throws(() => busiestThread(byThread(dumps, 9)));
});

test('per request: a fixed cost per interval cancels', () => {
  // 100k per request plus 3M per interval, whatever its length.
  const interval = (requests: number): { requests: number; instructions: number } => ({ requests, instructions: 3e6 + 1e5 * requests });
  assert.equal(perRequest(interval(1000), interval(3000)), 1e5);
  assert.throws(() => perRequest(interval(1000), interval(1000)));
});

test('spread is (max − min) / mean in percent', () => {
  assert.equal(spreadPct([99, 101]), 2);
  assert.equal(spreadPct([7]), 0);
});
