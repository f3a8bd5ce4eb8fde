// ListProcesses: "json" is the array of the container's PIDs (as the guest sees
// them); "table" is `ps` output (host-chosen arguments, -ef by default) filtered to
// those PIDs, header included, as 1.x produced it.
import { execFile } from 'node:child_process';
import { unknown } from '../common/errors';

export async function listProcesses(pids: number[], format: string, args: string[]): Promise<Buffer> {
  if (format === 'json') return Buffer.from(JSON.stringify(pids));
  if (format !== 'table') throw unknown('invalid format option');
  const output = await runPs(args.length ? args : ['-ef']);
  return Buffer.from(filterPsTable(output, new Set(pids)));
}

function runPs(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(unknown(`${err.message}: ${(stdout + stderr).trim()}`));
      else resolve(stdout);
    });
  });
}

export function filterPsTable(output: string, pids: Set<number>): string {
  const lines = output.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) throw unknown('failed to find PID field in ps output');
  const header = lines[0];
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column < 0) throw unknown('failed to find PID field in ps output');
  let out = header + '\n';
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length <= column) throw unknown(`missing PID field: ${line}`);
    const pid = Number(fields[column]);
    if (!Number.isInteger(pid)) throw unknown(`failed to convert pid to int: ${fields[column]}`);
    if (pids.has(pid)) out += line + '\n';
  }
  return out;
}
