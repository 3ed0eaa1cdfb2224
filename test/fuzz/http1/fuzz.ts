// `npm run fuzz`: the HTTP/1.1 fuzz target (harness.ts) on mutations of the seed corpus
// (mutate.ts) for FUZZ_SECONDS (default 120) against a real runtime on 127.0.0.1, then stops by
// itself. FUZZ_SEED replays a run (fast-check prints the seed and path of any failure).
import { fuzz } from './mutate.ts';
import { FuzzTarget } from './harness.ts';

const seconds = Number(process.env.FUZZ_SECONDS ?? 120);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const target = await FuzzTarget.start();
const started = performance.now();
let failed = false;
try {
  const runs = await fuzz(target, { seed, numRuns: Number.MAX_SAFE_INTEGER, timeLimitMs: seconds * 1000 });
  console.log(`fuzz: ${runs} inputs in ${((performance.now() - started) / 1000).toFixed(0)} s, seed ${seed}: every invariant held`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await target.stop();
}
process.exitCode = failed ? 1 : 0;
