// Mutations of the seed corpus for the HTTP/1.1 fuzz target (fast-check): each input is a corpus
// vector with a few edits (bytes that matter to HTTP/1.1 framing inserted, ranges deleted or
// repeated, case flipped) written in random pieces. fast-check draws, replays by seed and shrinks
// a failing input to a small one.
import fc from 'fast-check';
import { bytesOf, loadCorpus, type FuzzTarget } from './harness.ts';

/** What framing bugs are made of. */
const FRAGMENTS = [
  '\r', '\n', '\r\n', '\r\n\r\n', '\0', ' ', '\t', ':', '_', '-', ',', ';', '"', '0', '1', 'f', '\u00ff',
  'chunked', 'identity', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', 'Host: b.example\r\n',
  'Expect: 100-continue\r\n', 'Content_Length: 3\r\n', 'Connection: close\r\n', 'ffffffffffffffff',
  ' HTTP/1.1', 'GET / HTTP/1.1\r\nHost: a.example\r\n\r\n',
];

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'case'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }), times: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('case' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
);

function apply(text: string, edit: Mutation): string {
  const at = edit.at % (text.length + 1);
  switch (edit.kind) {
    case 'insert':
      return text.slice(0, at) + edit.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + edit.length);
    case 'repeat':
      return text.slice(0, at) + text.slice(at, at + edit.length).repeat(edit.times) + text.slice(at);
    case 'case': {
      const part = text.slice(at, at + edit.length);
      const flipped = part === part.toUpperCase() ? part.toLowerCase() : part.toUpperCase();
      return text.slice(0, at) + flipped + text.slice(at + edit.length);
    }
  }
}

/** Cuts `bytes` at the given points (taken modulo its length), in order. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    if (point > from) chunks.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  if (from < bytes.length || chunks.length === 0) chunks.push(bytes.subarray(from));
  return chunks;
}

export interface FuzzOptions {
  seed: number;
  numRuns: number;
  /** Stop after this long, whatever numRuns says (the fuzz script is bounded in time). */
  timeLimitMs?: number;
}

/** Runs the fuzz property; throws (with fast-check's report: seed, path, shrunk input) on a failure. */
export async function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<number> {
  const seeds = loadCorpus().flatMap(({ vectors }) => vectors.map((vector) => Buffer.concat(bytesOf(vector)).toString('latin1')));
  let runs = 0;
  const input = fc.record({
    seed: fc.nat({ max: seeds.length - 1 }),
    edits: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  });
  const property = fc.asyncProperty(input, async ({ seed, edits, cuts }) => {
    runs++;
    let text = seeds[seed]!;
    for (const edit of edits) text = apply(text, edit);
    const outcome = await target.send(split(Buffer.from(text, 'latin1'), cuts));
    await target.checkInvariants(outcome);
  });
  await fc.assert(property, {
    seed: options.seed,
    numRuns: options.numRuns,
    ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs }),
  });
  return runs;
}
