// Replays the HTTP/1.1 seed corpus (corpus/*.json, one file per family of vectors: CL.TE and
// TE.CL, obs-fold, bare CR and LF, NUL, chunk extensions and sizes, Host, underscore aliases,
// limits, versions, pipelining) against the real listener, as Envoy replays its fuzz corpora on
// every run: each vector must get exactly its expected answers and forwards, and the fuzz
// target's invariants (harness.ts) must hold after each. Then a short seeded fuzz run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bytesOf, FuzzTarget, loadCorpus } from './harness.ts';
import { fuzz } from './mutate.ts';

let target: FuzzTarget | undefined;

before(async () => {
  target = await FuzzTarget.start();
});

after(async () => {
  await target?.stop();
});

const corpus = loadCorpus();

test('the seed corpus holds at least 100 vectors', () => {
  assert.ok(corpus.reduce((sum, { vectors }) => sum + vectors.length, 0) >= 100);
});

for (const { file, vectors } of corpus) {
  test(`corpus ${file}`, async () => {
    const wrong: string[] = [];
    for (const vector of vectors) {
      const outcome = await target!.send(bytesOf(vector));
      const got = { statuses: outcome.statuses, forwarded: outcome.forwarded.length };
      try {
        assert.deepEqual(got, vector.expect);
      } catch {
        wrong.push(`${vector.name}: expected ${JSON.stringify(vector.expect)}, got ${JSON.stringify(got)}`);
      }
      await target!.checkInvariants(outcome);
    }
    assert.deepEqual(wrong, []);
  });
}

test('a short fuzz run from the corpus (fixed seed): the invariants hold for every mutated input', async () => {
  assert.equal(await fuzz(target!, { seed: 20261207, numRuns: 60 }), 60);
});
