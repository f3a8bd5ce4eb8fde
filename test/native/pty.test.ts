import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, openSync, read, writeSync } from 'node:fs';
import net from 'node:net';
import { native } from '../../src/native/index';
import { adoptedFd, adoptStream } from '../../src/native/adopt';
import { assertErrno, within } from '../helpers/native';

const n = native();

/** Resolves with what the master has received once it contains `text`. */
function receive(master: net.Socket, text: string): Promise<string> {
  let seen = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        master.off('data', onData);
        resolve(seen);
      }
    };
    master.on('data', onData);
  });
}

function readLine(fd: number): Promise<string> {
  const buf = Buffer.alloc(256);
  return new Promise((resolve, reject) =>
    read(fd, buf, 0, buf.length, null, (err, bytes) =>
      err ? reject(err) : resolve(buf.toString('utf8', 0, bytes)),
    ),
  );
}

test('a pty master adopted as a stream talks to its slave; resize and ONLCR work through it', async () => {
  const { master: masterFd, slaveName } = n.openPty();
  assert.match(slaveName, /^\/dev\/pts\/\d+$/);
  const slave = openSync(slaveName, constants.O_RDWR | constants.O_NOCTTY);
  let slaveOpen = true;
  const master = adoptStream(masterFd);
  try {
    execFileSync('stty', ['-F', slaveName, '-echo']);
    const fd = adoptedFd(master);
    assert.ok(fd !== undefined);

    // Slave output gets ONLCR by default: "\n" arrives as "\r\n".
    writeSync(slave, 'hello\n');
    assert.equal(await within(5000, 'slave output', receive(master, '\r\n')), 'hello\r\n');
    n.setOnlcr(fd, false);
    writeSync(slave, 'raw\n');
    assert.equal(await within(5000, 'slave output', receive(master, '\n')), 'raw\n');
    n.setOnlcr(fd, true);

    // Master input is a line for the slave (canonical mode).
    const line = readLine(slave);
    master.write('ping\n');
    assert.equal(await within(5000, 'slave input', line), 'ping\n');

    n.setWindowSize(fd, 33, 101);
    assert.equal(execFileSync('stty', ['-F', slaveName, 'size']).toString().trim(), '33 101');

    // Closing the slave ends the master with EIO: its normal end of stream.
    const failed = once(master, 'error');
    closeSync(slave);
    slaveOpen = false;
    const [err] = (await within(5000, 'EIO', failed)) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'EIO');
  } finally {
    if (slaveOpen) closeSync(slave);
    master.destroy();
  }
});

test('terminal calls on a non-terminal fail with ENOTTY', () => {
  const [r, w] = n.pipe(false, false);
  try {
    assertErrno(() => n.setWindowSize(r, 24, 80), 'ENOTTY', 'ioctl');
    assertErrno(() => n.setOnlcr(r, true), 'ENOTTY', 'tcgetattr');
    assert.throws(() => n.setWindowSize(r, 70000, 80), RangeError);
  } finally {
    n.close(r);
    n.close(w);
  }
});
