// releaseBytes frees only memory nothing else can see: a whole, plain ArrayBuffer of a worthwhile
// size. Every other case must leave the bytes readable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releaseAfterWrite, releaseBytes } from '../../../workers/proxy/body-memory.ts';

test('a view of its whole ArrayBuffer is freed: the buffer is detached and reads empty', () => {
  const bytes = Buffer.allocUnsafeSlow(64 * 1024).fill(7);
  const buffer = bytes.buffer;
  releaseBytes(bytes);
  assert.equal(buffer.byteLength, 0);
  assert.equal(bytes.length, 0);
});

test('a part of a larger buffer, a small buffer, a SharedArrayBuffer and a pooled Buffer stay as they are', () => {
  const whole = Buffer.allocUnsafeSlow(128 * 1024).fill(1);
  const head = whole.subarray(0, 64 * 1024);
  const tail = whole.subarray(64 * 1024);
  releaseBytes(head);
  releaseBytes(tail);
  assert.equal(whole.buffer.byteLength, 128 * 1024);
  assert.equal(tail[0], 1);

  const small = Buffer.allocUnsafeSlow(8 * 1024).fill(2);
  releaseBytes(small);
  assert.equal(small.length, 8 * 1024);

  const shared = new Uint8Array(new SharedArrayBuffer(64 * 1024)).fill(3);
  releaseBytes(shared);
  assert.equal(shared.length, 64 * 1024);

  // Node's slab: many small Buffers share one ArrayBuffer.
  const pooled = Buffer.from('pooled bytes');
  releaseBytes(pooled);
  assert.equal(pooled.toString(), 'pooled bytes');
});

test('memory V8 will not detach is left to the GC without an error', () => {
  // A WebAssembly memory's buffer cannot be detached by script. (Not in the ES2023 lib's types.)
  const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (pages: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
  const memory = new Memory({ initial: 1 });
  const view = new Uint8Array(memory.buffer);
  assert.doesNotThrow(() => releaseBytes(view));
  assert.equal(memory.buffer.byteLength, 64 * 1024);
});

test('releaseAfterWrite gives a callback only for memory it would free', () => {
  assert.equal(releaseAfterWrite(Buffer.allocUnsafeSlow(1024)), undefined);
  const bytes = Buffer.allocUnsafeSlow(32 * 1024);
  const finished = releaseAfterWrite(bytes);
  assert.equal(typeof finished, 'function');
  assert.equal(bytes.length, 32 * 1024);
  finished!();
  assert.equal(bytes.length, 0);
});
