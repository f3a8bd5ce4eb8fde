#!/usr/bin/env node
// npm run vm:image — builds (or confirms) the guest kernel and both image forms in the VM cache:
// the initrd (`initrd =`) and the DAX rootfs image with its loader (`image =`).
//   --force   rebuild even when the inputs did not change
import { ensureImage } from './build';

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const result = await ensureImage({ force, say: (m) => process.stdout.write(`vm:image: ${m}\n`) });
  const { image } = result;
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  process.stdout.write(
    `vm:image: ${result.built ? 'built' : 'up to date'} in ${(result.elapsedMs / 1000).toFixed(1)} s\n` +
      `  kernel  ${image.kernelPackage} (${image.vmlinux})\n` +
      `  initrd  ${image.initrd} (${mib(image.initrdBytes)} MiB, agent ${image.agentIsInit ? 'is PID 1' : 'runs under /init'})\n` +
      `  image   ${image.rootfsImage} (${mib(image.rootfsImageBytes)} MiB ext4 for an nvdimm, mounted with dax)\n` +
      `  loader  ${image.loaderInitrd} (${mib(image.loaderInitrdBytes)} MiB: the modules Debian's kernel needs to mount it)\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`vm:image: ${err.message}\n`);
  process.exit(1);
});
