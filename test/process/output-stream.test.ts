import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { OutputStream } from '../../src/process/output-stream';
import { InputStream } from '../../src/process/input-stream';

const isEof = (err: unknown): boolean => (err as Error).message === 'EOF';

test('reads return at most len bytes, wait for data, and end with EOF after the buffer', async () => {
  const source = new PassThrough();
  const out = new OutputStream(source);
  const pending = out.read(4);
  source.write('abcdefgh');
  assert.equal((await pending).toString(), 'abcd');
  source.write('ij');
  source.end();
  // Everything buffered is handed out before the end.
  assert.equal((await out.read(100)).toString(), 'efghij');
  await assert.rejects(out.read(10), isEof);
  await assert.rejects(out.read(10), isEof);
  assert.equal(out.drained, true);
});

test('len 0 returns empty data at once; concurrent readers are served in order', async () => {
  const source = new PassThrough();
  const out = new OutputStream(source);
  assert.equal((await out.read(0)).length, 0);
  const a = out.read(2);
  const b = out.read(2);
  source.write('1234');
  assert.deepEqual([(await a).toString(), (await b).toString()], ['12', '34']);
  source.destroy(new Error('EIO'));
  await assert.rejects(out.read(1), isEof);
});

test('past the high-water mark the source is paused until the host reads', async () => {
  const source = new PassThrough();
  const out = new OutputStream(source, 8);
  source.write('0123456789');
  await new Promise((r) => setImmediate(r));
  assert.equal(source.isPaused(), true);
  assert.equal(out.pending, 10);
  assert.equal((await out.read(8)).toString(), '01234567');
  assert.equal(source.isPaused(), false);
});

test('a stream without source (a terminal stderr) is at its end', async () => {
  const out = new OutputStream(undefined);
  assert.equal(out.drained, true);
  await assert.rejects(out.read(10), isEof);
});

test('stdin: write returns the length, close is idempotent, writes after close write nothing', async () => {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const input = new InputStream(sink);
  assert.equal(await input.write(Buffer.from('abc')), 3);
  input.close();
  input.close();
  assert.equal(await input.write(Buffer.from('x')), 0);
  assert.equal(Buffer.concat(chunks).toString(), 'abc');
});
