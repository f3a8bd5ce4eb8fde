// The host asks for cpusets in its own CPU numbering; the guest may have fewer
// vCPUs online. A request every CPU of which is online is kept as written;
// otherwise the container gets every online guest CPU (1.x's rule).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** "0-3,5" → [0,1,2,3,5]. Throws on anything else. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  const text = list.trim();
  if (!text) return out;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`invalid cpuset ${JSON.stringify(list)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`invalid cpuset ${JSON.stringify(list)}`);
    for (let c = from; c <= to; c++) out.push(c);
  }
  return out;
}

export function guestValidCpuset(requested: string, online: string): string {
  const want = parseCpuList(requested);
  const have = new Set(parseCpuList(online));
  return want.every((c) => have.has(c)) ? requested : online.trim();
}

export function onlineCpus(sysRoot: string): string {
  return readFileSync(path.join(sysRoot || '/', 'sys/devices/system/cpu/online'), 'utf8').trim();
}
