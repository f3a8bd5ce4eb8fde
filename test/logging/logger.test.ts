import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, rfc3339Nano } from '../../src/logging/logger';
import { toLogfmt } from '../../src/logging/logfmt';

test('log lines are logfmt with the fields Kata tooling expects, in order', () => {
  const lines: string[] = [];
  const { logger } = createLogger({ level: 'info', primary: (l) => lines.push(l) });
  logger.child({ sandbox: 'sb1' }).info({ container: 'c 1' }, 'container "started"');
  logger.debug('hidden');
  logger.warn('careful');
  assert.equal(lines.length, 2);
  const re =
    /^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z level=info msg="container \\"started\\"" name=kata-agent pid=\d+ source=agent sandbox=sb1 container="c 1"\n$/;
  assert.match(lines[0], re);
  assert.match(lines[1], / level=warning msg=careful name=kata-agent /);
});

test('extra sinks receive the same lines and can be removed', () => {
  const primary: string[] = [];
  const extra: string[] = [];
  const { logger, sinks } = createLogger({ level: 'info', primary: (l) => primary.push(l) });
  const remove = sinks.add((l) => extra.push(l));
  logger.info('one');
  remove();
  logger.info('two');
  assert.equal(primary.length, 2);
  assert.deepEqual(extra, [primary[0]]);
});

test('RFC 3339 with nanoseconds', () => {
  assert.equal(
    rfc3339Nano(BigInt(Date.UTC(2026, 0, 2, 3, 4, 5)) * 1_000_000n + 123_456_789n),
    '2026-01-02T03:04:05.123456789Z',
  );
  assert.equal(
    rfc3339Nano(BigInt(Date.UTC(2026, 0, 2, 3, 4, 5)) * 1_000_000n),
    '2026-01-02T03:04:05.000000000Z',
  );
});

test('logfmt quoting', () => {
  assert.equal(
    toLogfmt({ a: 'x', b: 'has space', c: '', d: 'q"uote', e: 3, f: true }, []),
    'a=x b="has space" c="" d="q\\"uote" e=3 f=true',
  );
});
