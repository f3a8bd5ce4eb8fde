#!/usr/bin/env node
// npm run vm:image — builds (or confirms) the guest kernel and initrd in the VM cache.
//   --force   rebuild even when the inputs did not change
import { ensureImage } from './build';

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const result = await ensureImage({ force, say: (m) => process.stdout.write(`vm:image: ${m}\n`) });
  const { image } = result;
  const mib = (image.initrdBytes / 2 ** 20).toFixed(1);
  process.stdout.write(
    `vm:image: ${result.built ? 'built' : 'up to date'} in ${(result.elapsedMs / 1000).toFixed(1)} s\n` +
      `  kernel  ${image.kernelPackage} (${image.vmlinux})\n` +
      `  initrd  ${image.initrd} (${mib} MiB, agent ${image.agentIsInit ? 'is PID 1' : 'runs under /init'})\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`vm:image: ${err.message}\n`);
  process.exit(1);
});
