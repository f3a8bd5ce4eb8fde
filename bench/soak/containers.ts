// Long container runs: 1 GiB of random output through ReadStdout checked by
// sha256, and thousands of execs in a row with zombies, fds and memory of the
// agent process watched along the way.
import { describeFds, memoryKb, openFds, zombieChildren } from '../../tools/testkit/procfs';
import { digestFrom, randomOutputCommand, readToEnd } from '../../tools/testkit/streams';
import { startContainerAgent } from '../lib/container-agent';
import type { SoakStep } from './step';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const integritySoak: SoakStep = {
  id: 'integrity',
  title: 'Output integrity through ReadStdout',
  async run(options) {
    const bytes = options.integrityMiB * MiB;
    const agent = await startContainerAgent();
    try {
      await agent.create('big', randomOutputCommand(bytes));
      await agent.client.agent.startContainer({ container_id: 'big' });
      const started = Date.now();
      const lens = [32 * 1024, 32 * 1024, 32 * 1024, MiB, 4093, 1];
      const [out, err, { status }] = await Promise.all([
        readToEnd(agent.client, 'big', 'big', 'stdout', {
          len: (i) => lens[i % lens.length],
          timeoutMs: 60_000,
        }),
        readToEnd(agent.client, 'big', 'big', 'stderr', { len: 4096, keep: true }),
        agent.client.agent.waitProcess({ container_id: 'big', exec_id: 'big' }),
      ]);
      const seconds = (Date.now() - started) / 1000;
      const expected = digestFrom(err.data!.toString());
      const holds = status === 0 && out.bytes === bytes && out.sha256 === expected;
      return {
        holds,
        details: [
          `${out.bytes} of ${bytes} bytes in ${out.reads} reads (${(out.bytes / MiB / seconds).toFixed(1)} MiB/s, reads of 32 KiB, 1 MiB, 4093 B and 1 B)`,
          `sha256 read ${out.sha256}`,
          `sha256 in the container ${expected}`,
          `exit status ${status}`,
        ],
      };
    } finally {
      await agent.stop();
    }
  },
};

export const execSoak: SoakStep = {
  id: 'execs',
  title: 'Execs in a row',
  async run(options) {
    const agent = await startContainerAgent();
    try {
      await agent.create('box', ['sleep', '1000000']);
      await agent.client.agent.startContainer({ container_id: 'box' });
      const pid = agent.proc.pid;
      const one = async (id: string): Promise<void> => {
        await agent.exec('box', id, ['true']);
        const status = await agent.finish('box', id);
        if (status !== 0) throw new Error(`exec ${id} exited with ${status}`);
      };
      for (let i = 0; i < 100; i++) await one(`warm${i}`);
      await sleep(500);
      const fdsBefore = openFds(pid);
      const rssBefore = memoryKb(pid).rss;
      const samples: string[] = [];
      let rssHalfway = rssBefore;
      const started = Date.now();
      const every = Math.max(1, Math.floor(options.execs / 10));
      for (let i = 1; i <= options.execs; i++) {
        await one(`e${i}`);
        if (i % every === 0)
          samples.push(`${i}: RSS ${(memoryKb(pid).rss / 1024).toFixed(1)} MiB, ${openFds(pid).length} fds`);
        if (i === Math.floor(options.execs / 2)) rssHalfway = memoryKb(pid).rss;
      }
      const seconds = (Date.now() - started) / 1000;
      await sleep(1000);
      const fdsAfter = openFds(pid);
      const rssAfter = memoryKb(pid).rss;
      const zombies = zombieChildren(pid);
      const grown = fdsAfter.filter((f) => !fdsBefore.includes(f));
      // V8 grows its young generation (up to 2 x 16 MiB) under load: flat means no
      // growth over the second half, once the heap has found its size.
      const flat = rssAfter <= rssHalfway * 1.05 + 1024;
      const holds = zombies.length === 0 && fdsAfter.length <= fdsBefore.length && flat;
      return {
        holds,
        details: [
          `${options.execs} execs of true (exec, wait, both streams drained) in ${seconds.toFixed(0)} s, ${((seconds * 1000) / options.execs).toFixed(1)} ms each`,
          `zombies of the agent: ${zombies.length}`,
          `fds of the agent: ${fdsBefore.length} → ${fdsAfter.length}${grown.length ? ' (new: ' + describeFds(pid, grown.slice(0, 5)).join(', ') + ')' : ''}`,
          `RSS of the agent: ${(rssBefore / 1024).toFixed(1)} MiB after 100 warm-up execs, ${(rssHalfway / 1024).toFixed(1)} halfway, ${(rssAfter / 1024).toFixed(1)} at the end (flat: at most +5% + 1 MiB over the second half)`,
          `along the way: ${samples.join('; ')}`,
        ],
      };
    } finally {
      await agent.stop();
    }
  },
};
