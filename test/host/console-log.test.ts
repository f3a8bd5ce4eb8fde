import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleLog } from '../../src/host/console-log';

test('console markers are found mid-line, across chunks, and the log keeps every byte', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-test-'));
  try {
    const lines: string[] = [];
    const log = new ConsoleLog(path.join(dir, 'console.log'), (l) => lines.push(l));
    const init = log.waitFor(/kata-vm: init uptime=([\d.]+)/, 5000);
    // Firmware escape sequences share the line with the marker, which arrives in pieces.
    log.append(Buffer.from('\x1bc\x1b[?7lSeaBIOS\r\nBooting from ROM..kata-vm: in'));
    log.append(Buffer.from('it uptime=3.25\r\nnext'));
    assert.equal((await init)[1], '3.25');
    assert.deepEqual(lines, ['\x1bc\x1b[?7lSeaBIOS', 'Booting from ROM..kata-vm: init uptime=3.25']);
    assert.ok((log.lineTime(/kata-vm: init/) ?? -1) >= 0);
    assert.equal(log.lineTime(/never printed/), undefined);
    // Already printed: resolves at once.
    assert.equal((await log.waitFor(/SeaBIOS/, 10))[0], 'SeaBIOS');
    await assert.rejects(
      log.waitFor(/agent started/, 20, 'agent start'),
      /agent start: not seen within 20 ms/,
    );
    const pending = log.waitFor(/agent started/, 5000);
    log.close('qemu exited (status 1)');
    await assert.rejects(pending, /qemu exited \(status 1\)/);
    assert.deepEqual(lines.at(-1), 'next');
    assert.equal(
      readFileSync(path.join(dir, 'console.log'), 'utf8'),
      '\x1bc\x1b[?7lSeaBIOS\r\nBooting from ROM..kata-vm: init uptime=3.25\r\nnext',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
