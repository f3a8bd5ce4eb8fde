import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGuestServices } from '../../src/guest/services';
import { createLogger } from '../../src/logging/logger';
import { native } from '../../src/native/index';
import { VSOCK_CID_ANY } from '../../src/transport/vsock';

function logging() {
  const lines: string[] = [];
  return { ...createLogger({ level: 'info', primary: (l) => lines.push(l) }), lines };
}

test('nothing listens unless enabled', async () => {
  const l = logging();
  const services = await startGuestServices(
    { logVport: 0, debugConsole: false, debugConsoleVport: 0, sysRoot: '' },
    l,
  );
  await services.close();
  assert.deepEqual(l.lines, []);
});

test(
  'log forwarding and the console port listen on vsock, and let go on close',
  { skip: !native().vsockAvailable() && 'no AF_VSOCK here' },
  async () => {
    const base = 20000 + Math.floor(Math.random() * 40000);
    const l = logging();
    const services = await startGuestServices(
      { logVport: base, debugConsole: true, debugConsoleVport: base + 1, sysRoot: '' },
      l,
    );
    try {
      for (const port of [base, base + 1])
        assert.throws(() => native().vsockListen(VSOCK_CID_ANY, port, 1), { code: 'EADDRINUSE' });
    } finally {
      await services.close();
    }
    for (const port of [base, base + 1]) native().close(native().vsockListen(VSOCK_CID_ANY, port, 1));
    assert.equal(l.lines.filter((x) => /listening on vsock/.test(x)).length, 2);
  },
);

test('a console device that cannot be opened is reported once, not on every retry', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'console-root-'));
  const l = logging();
  const services = await startGuestServices(
    { logVport: 0, debugConsole: true, debugConsoleVport: 0, sysRoot: root },
    l,
  );
  await services.close();
  fs.rmSync(root, { recursive: true, force: true });
  assert.equal(l.lines.filter((x) => /cannot open the debug console/.test(x)).length, 1);
});
