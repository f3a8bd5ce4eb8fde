import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DebugConsole, findShell } from '../../src/guest/console';
import { createLogger } from '../../src/logging/logger';
import { native } from '../../src/native/index';
import { adoptStream } from '../../src/native/adopt';
import { within } from '../helpers/native';
import { waitFor } from '../helpers/wait-for';

const log = createLogger({ level: 'silent' }).logger;

/** Resolves with everything received once it contains `text`. */
function until(stream: net.Socket, text: string): Promise<string> {
  let seen = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
  });
}

test('the first existing shell wins', () => {
  assert.equal(findShell(['/nonexistent/bash', '/bin/sh']), '/bin/sh');
  assert.equal(findShell(['/nonexistent/a', '/nonexistent/b']), undefined);
});

test('every connection to the console port gets its own interactive shell in a pty', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-'));
  const address = path.join(dir, 'console.sock');
  const server = net.createServer();
  server.listen(address);
  await once(server, 'listening');
  const debugConsole = new DebugConsole({ log, server, shells: ['/bin/sh'] });
  try {
    const a = net.connect(address);
    const b = net.connect(address);
    await Promise.all([once(a, 'connect'), once(b, 'connect')]);
    a.write('echo hello-$((6*7))\n');
    b.write('tty; echo other-$((6*9))\n');
    assert.match(await within(10_000, 'the first shell', until(a, 'hello-42')), /hello-42/);
    const other = await within(10_000, 'the second shell', until(b, 'other-54'));
    assert.match(other, /\/dev\/pts\/\d+/, 'the shell runs on a terminal');
    assert.equal(debugConsole.shellCount, 2);

    // "exit" ends the shell and with it the connection.
    a.write('exit\n');
    a.resume();
    await within(10_000, 'the connection to end', once(a, 'close'));
    // Dropping the connection ends the shell.
    b.destroy();
    await waitFor(() => debugConsole.shellCount === 0, { what: 'the shells to go', timeoutMs: 10_000 });
  } finally {
    await debugConsole.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the console shell has the console as controlling terminal and is restarted when it exits', async () => {
  const n = native();
  const { master, slaveName } = n.openPty();
  const keeper = fs.openSync(slaveName, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  execFileSync('stty', ['-F', slaveName, '-echo']);
  const terminal = adoptStream(master);
  const debugConsole = new DebugConsole({
    log,
    consolePath: slaveName,
    shells: ['/bin/sh'],
    restartDelayMs: 10,
  });
  try {
    // The shell's controlling terminal (field 7 of /proc/self/stat, tty_nr) is the pty: non-zero.
    terminal.write("echo ctty=$(cut -d' ' -f7 /proc/$$/stat) pid=$$\n");
    const first = await within(10_000, 'the console shell', until(terminal, 'pid='));
    const ctty = Number(/ctty=(\d+)/.exec(first)![1]);
    assert.ok(ctty > 0, `controlling terminal ${ctty}`);
    const pid = /pid=(\d+)/.exec(first)![1];
    terminal.write('exit\n');
    await waitFor(() => debugConsole.shellCount === 1, {
      what: 'the shell to be restarted',
      timeoutMs: 10_000,
    });
    terminal.write('echo again pid=$$\n');
    const second = await within(10_000, 'the restarted shell', until(terminal, 'again pid='));
    assert.notEqual(/again pid=(\d+)/.exec(second)![1], pid);
  } finally {
    await debugConsole.close();
    terminal.destroy();
    fs.closeSync(keeper);
  }
});
