import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createLogger } from '../../src/logging/logger';
import { LogForwarder } from '../../src/logging/forward';
import { waitFor } from '../helpers/wait-for';

async function setup(options: { maxBufferLines?: number; maxBufferBytes?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logfwd-'));
  const address = path.join(dir, 'log.sock');
  const primary: string[] = [];
  const logging = createLogger({ level: 'info', primary: (l) => primary.push(l) });
  const server = net.createServer();
  server.listen(address);
  await once(server, 'listening');
  const forwarder = new LogForwarder({ sinks: logging.sinks, server, ...options });
  return {
    log: logging.logger,
    primary,
    forwarder,
    /** A collector and a function giving its next line. */
    async collector() {
      const socket = net.connect(address);
      await once(socket, 'connect');
      const lines: string[] = [];
      const waiters: (() => void)[] = [];
      readline.createInterface({ input: socket }).on('line', (l) => {
        lines.push(l);
        waiters.splice(0).forEach((w) => w());
      });
      return {
        socket,
        async next(): Promise<string> {
          while (lines.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
          return lines.shift()!;
        },
      };
    },
    async close() {
      await forwarder.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function connected(forwarder: LogForwarder): Promise<void> {
  return waitFor(() => forwarder.connected, { what: 'the forwarder to connect' });
}

test('lines logged before a collector connects are sent on connect, then lines flow live', async () => {
  const t = await setup();
  try {
    t.log.info('early one');
    t.log.warn({ container: 'c1' }, 'early two');
    const c = await t.collector();
    assert.match(
      await c.next(),
      /^time=\S+ level=info msg="early one" name=kata-agent pid=\d+ source=agent$/,
    );
    assert.match(await c.next(), /level=warning msg="early two" .* container=c1$/);
    await connected(t.forwarder);
    t.log.info('live');
    assert.match(await c.next(), /msg=live/);
    assert.equal(t.primary.length, 3, 'the console still gets every line');
  } finally {
    await t.close();
  }
});

test('the buffer is bounded: the oldest lines go and the collector is told how many', async () => {
  const t = await setup({ maxBufferLines: 5 });
  try {
    for (let i = 0; i < 12; i++) t.log.info(`line ${i}`);
    const c = await t.collector();
    assert.match(
      await c.next(),
      /level=warning msg="log lines were dropped .*" .*subsystem=logforward dropped=7$/,
    );
    for (let i = 7; i < 12; i++) assert.match(await c.next(), new RegExp(`msg="line ${i}"`));
  } finally {
    await t.close();
  }
});

test('a byte bound applies too', async () => {
  const t = await setup({ maxBufferBytes: 2000 });
  try {
    for (let i = 0; i < 100; i++) t.log.info(`line ${i} ${'x'.repeat(100)}`);
    const c = await t.collector();
    const first = await c.next();
    const dropped = Number(/dropped=(\d+)/.exec(first)![1]);
    assert.ok(dropped > 80 && dropped < 100, first);
    assert.match(await c.next(), new RegExp(`msg="line ${dropped} `));
  } finally {
    await t.close();
  }
});

test('after a collector leaves, lines wait for the next one; a new collector takes over', async () => {
  const t = await setup();
  try {
    const first = await t.collector();
    await connected(t.forwarder);
    t.log.info('to the first');
    assert.match(await first.next(), /to the first/);
    first.socket.destroy();
    await waitFor(() => !t.forwarder.connected, { what: 'the forwarder to see the collector leave' });
    t.log.info('while nobody listens');
    const second = await t.collector();
    assert.match(await second.next(), /while nobody listens/);
    const third = await t.collector();
    await once(second.socket, 'end');
    t.log.info('to the third');
    assert.match(await third.next(), /to the third/);
  } finally {
    await t.close();
  }
});

test('a collector that does not read does not make the agent buffer without bound', async () => {
  const t = await setup({ maxBufferBytes: 64 * 1024 });
  try {
    const c = await t.collector();
    c.socket.pause();
    await connected(t.forwarder);
    for (let i = 0; i < 20000; i++) t.log.info(`flood ${i} ${'y'.repeat(200)}`);
    c.socket.resume();
    const lines: string[] = [];
    for (;;) {
      const l = await c.next();
      lines.push(l);
      if (l.includes('flood 19999 ')) break;
    }
    assert.ok(
      lines.some((l) => /dropped=\d+/.test(l)),
      'some lines were dropped and counted',
    );
    assert.ok(lines.length < 20000);
  } finally {
    await t.close();
  }
});
