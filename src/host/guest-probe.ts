// Runs inside the guest (kata_vm_mode=probe) to check the VM's plumbing without
// the agent: node starts, the virtio-serial port named agent.channel.0 carries a
// line each way, and the kataShared 9p share (which /init mounted to start this
// probe from it: the image does not carry it) holds the host's files.
// Every finding is one "kata-vm-probe: key=value" console line the host parses.
import { closeSync, openSync, readFileSync, readSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const PORT_NAME = 'agent.channel.0';
const SHARE_TAG = 'kataShared';

function report(key: string, value: string | number): void {
  process.stdout.write(`kata-vm-probe: ${key}=${value}\n`);
}

function uptime(): string {
  return readFileSync('/proc/uptime', 'utf8').split(' ')[0];
}

/** /dev/vportNpM of the port with `name`: without udev there are no /dev/virtio-ports links. */
function findPort(name: string): string | undefined {
  const base = '/sys/class/virtio-ports';
  for (const port of readdirSync(base)) {
    try {
      if (readFileSync(path.join(base, port, 'name'), 'utf8').trim() === name) return `/dev/${port}`;
    } catch {
      // The console port (hvc0) has no name file.
    }
  }
  return undefined;
}

async function waitForPort(name: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const port = findPort(name);
    if (port) return port;
    if (Date.now() > deadline) throw new Error(`no virtio port named ${name}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Says hello on the port and reads one line back: read() returns 0 until the host is there. */
function serialRoundTrip(port: string): string {
  const fd = openSync(port, 'r+');
  try {
    writeSync(fd, `hello from ${process.version}\n`);
    const buf = Buffer.alloc(4096);
    let line = '';
    const deadline = Date.now() + 30_000;
    while (!line.includes('\n')) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n > 0) line += buf.subarray(0, n).toString();
      else if (Date.now() > deadline) throw new Error('no answer on the serial port');
    }
    return line.trim();
  } finally {
    closeSync(fd);
  }
}

/** The share /init mounted to start this probe from it (a virtio-9p device mounts once). */
function shareCheck(mountPoint: string): void {
  const mounted = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${SHARE_TAG} ${mountPoint} 9p `));
  if (!mounted) throw new Error(`${mountPoint} is not the ${SHARE_TAG} 9p mount`);
  report('share-entries', readdirSync(mountPoint).sort().join(','));
  report('share-text', readFileSync(path.join(mountPoint, 'probe.txt'), 'utf8').trim());
  writeFileSync(path.join(mountPoint, 'from-guest.txt'), `written at uptime ${uptime()}\n`);
}

async function main(): Promise<void> {
  report('node', `${process.version} uptime=${uptime()}`);
  const port = await waitForPort(PORT_NAME, 10_000);
  report('port', `${port} uptime=${uptime()}`);
  report('serial-answer', serialRoundTrip(port));
  shareCheck(__dirname);
  report('done', `uptime=${uptime()}`);
}

main().catch((err: Error) => {
  report('error', JSON.stringify(err.message));
  process.exitCode = 1;
});
