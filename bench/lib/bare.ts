// The floors of the container benchmarks: the OCI runtime run by hand, and
// bytes moved through a plain pipe with no agent in between.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { native } from '../../src/native/index';

/** Runs a command with stdio ignored; resolves with its exit code. */
export async function runQuiet(command: string, args: string[]): Promise<number> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  return code;
}

/** Spawns `command` with its stdout on a real pipe (not a socketpair) and reads it all; the byte count. */
export async function readPipe(command: string, args: string[]): Promise<number> {
  const n = native();
  const [readFd, writeFd] = n.pipe(false, false);
  const child = spawn(command, args, { stdio: ['ignore', writeFd, 'ignore'] });
  n.close(writeFd);
  const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
  let bytes = 0;
  reader.on('data', (c: Buffer) => (bytes += c.length));
  await Promise.all([once(reader, 'close'), once(child, 'exit')]);
  return bytes;
}

/** Spawns `command` with its stdin on a real pipe and writes `total` bytes in `chunk`-sized writes. */
export async function writePipe(
  command: string,
  args: string[],
  total: number,
  chunk: number,
): Promise<void> {
  const n = native();
  const [readFd, writeFd] = n.pipe(false, false);
  const child = spawn(command, args, { stdio: [readFd, 'ignore', 'ignore'] });
  n.close(readFd);
  const writer = new net.Socket({ fd: writeFd, readable: false, writable: true });
  const data = Buffer.alloc(chunk, 0x61);
  for (let sent = 0; sent < total; sent += chunk) {
    if (!writer.write(data.subarray(0, Math.min(chunk, total - sent)))) await once(writer, 'drain');
  }
  writer.end();
  await once(child, 'exit');
}
