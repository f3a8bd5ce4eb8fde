// CPU and memory-node lists in the kernel's format ("0-3,5"). One parser for
// every caller: container cpusets (CreateContainer, UpdateContainer) and the
// guest's online CPUs. Lists come from the host, so nothing is expanded past
// what a guest can have: a range such as "0-200000000" is refused before any
// memory is spent on it.

/** Highest CPU number a Linux guest can have (NR_CPUS is at most 8192, on x86_64 with MAXSMP). */
export const MAX_CPU_ID = 8191;

/** The longest list text accepted; a full list of single CPUs up to MAX_CPU_ID fits well below it. */
const MAX_LIST_LENGTH = 64 * 1024;

export class CpuListError extends Error {}

/** The CPUs of a list, ascending and without duplicates; throws CpuListError on anything malformed. */
export function parseCpuList(list: string): number[] {
  const text = list.trim();
  if (!text) return [];
  if (text.length > MAX_LIST_LENGTH)
    throw new CpuListError(`CPU list of ${text.length} characters is too long`);
  const present = new Uint8Array(MAX_CPU_ID + 1);
  for (const part of text.split(',')) {
    const match = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part.trim());
    if (!match) throw new CpuListError(`invalid CPU list ${JSON.stringify(shorten(list))}`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new CpuListError(`invalid CPU range ${JSON.stringify(part)}: ${last} < ${first}`);
    if (last > MAX_CPU_ID) {
      throw new CpuListError(
        `CPU range ${JSON.stringify(part)} goes past ${MAX_CPU_ID}, the most a guest can have`,
      );
    }
    present.fill(1, first, last + 1);
  }
  const out: number[] = [];
  present.forEach((on, cpu) => {
    if (on) out.push(cpu);
  });
  return out;
}

/**
 * The cpuset to give a container: the request unchanged when every CPU in it is
 * online in the guest, otherwise all of the guest's online CPUs (1.x's rule).
 */
export function guestValidCpuset(requested: string, online: string): string {
  const available = new Set(parseCpuList(online));
  return parseCpuList(requested).every((cpu) => available.has(cpu)) ? requested : online.trim();
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
