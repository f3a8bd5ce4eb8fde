#!/usr/bin/env node
// npm run demo — the agent in a real VM: builds the guest image if needed, boots
// it under qemu, drives the Kata-like sequence over the virtio-serial channel,
// shows the container's output and how long each stage took.
//   --containers N   run N more containers and report the agent's RSS after them (default 20)
//   --console        echo the guest's console
import { parseArgs } from 'node:util';
import { ensureImage } from './image/build';
import { runSequence, type SequenceResult } from './driver';
import { formatMs, formatStage } from './stage-timer';

const out = (line = ''): void => void process.stdout.write(line + '\n');

function summary(r: SequenceResult, containers: number): void {
  out();
  out('Summary');
  out(`  accelerator                  ${r.accel}`);
  out(`  boot → agent ready           ${formatMs(r.bootToReadyMs)}`);
  const a = r.agentStartup;
  if (a) {
    out(
      `  agent start-up (node's clock) node ready ${a.nodeBootMs} ms, main ${a.mainMs} ms, listening ${a.listeningMs} ms` +
        (a.fromSnapshot ? ' (from the snapshot)' : ' (from the script)'),
    );
  }
  out(`  StartContainer → output      ${formatMs(r.firstOutputAfterStartMs)}`);
  out(`  boot → first output          ${formatMs(r.firstOutputAfterBootMs)}`);
  out(`  agent RSS, 2 containers up   ${(r.rssAfterBootKiB / 1024).toFixed(1)} MiB`);
  if (r.rssAfterContainersKiB !== undefined) {
    out(
      `  agent RSS, +${containers} containers`.padEnd(31) +
        `${(r.rssAfterContainersKiB / 1024).toFixed(1)} MiB`,
    );
  }
  out(`  CPUs online                  ${r.cpusOnlineBefore} → ${r.cpusOnlineAfter}`);
  out(`  hot-plugged disk, host reads ${JSON.stringify(r.blkHostReadBack.trim())}`);
  out(`  vsock in the guest           ${r.vsockOutput.replace(/\s+/g, ' ').trim()}`);
  out(`  shutdown                     ${r.shutdownReason}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { containers: { type: 'string', default: '20' }, console: { type: 'boolean', default: false } },
  });
  const containers = Number(values.containers);
  out('== guest image');
  const build = await ensureImage({ say: (m) => out(`   ${m}`) });
  out(
    `   ${build.built ? 'built' : 'cached'} in ${formatMs(build.elapsedMs)}: ${build.image.kernelPackage}, ` +
      `initrd ${(build.image.initrdBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  out('== VM');
  const result = await runSequence({
    image: build.image,
    rssContainers: containers,
    say: (m) => out(`   ${m}`),
    onStage: (s) => out(`   ${formatStage(s)}`),
    onContainerOutput: (text) => {
      for (const line of text.split('\n').filter(Boolean)) out(`   | ${line}`);
    },
    onConsoleLine: values.console ? (l) => out(`   console: ${l}`) : undefined,
  });
  summary(result, containers);
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});
