// The qemu command line a Kata 1.12 runtime would use, as the VM end-to-end
// builds it, and the network namespace wrapper for its tap NIC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { kernelCommandLine, qemuArgs, type VmOptions } from '../../src/host/qemu';
import { netnsPrefix, tapCounters, tapNic } from '../../src/host/tap-network';

const RUNTIME_APPEND =
  'tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 i8042.nopnp=1 ' +
  'i8042.noaux=1 noreplace-smp reboot=k console=hvc0 console=hvc1 cryptomgr.notests net.ifnames=0 ' +
  'pci=lastbus=0 iommu=off debug panic=1 nr_cpus=2 agent.use_vsock=false';

const options: VmOptions = {
  image: { vmlinux: '/k/vmlinux', initrd: '/k/initrd.cpio' } as VmOptions['image'],
  accel: { kind: 'tcg', timeoutScale: 8, reason: 'test' } as VmOptions['accel'],
  runDir: '/run/x',
  shareDir: '/run/x/shared',
  listen: ['auto'],
  kernelParams: ['agent.log=debug'],
};
const paths = { serial: '/run/x/serial.sock', qmp: '/run/x/qmp.sock' };
const network = { tap: 'tap0', hostAddress: '10.199.7.1/24', guestMac: '02:00:00:a7:00:02' };

/** The values of every `flag` in an argument list. */
const values = (args: string[], flag: string): string[] =>
  args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

test("the kernel command line is the runtime's, verbatim, then the test's parameters", () => {
  assert.equal(kernelCommandLine(options), `${RUNTIME_APPEND} kata_vm_listen=auto agent.log=debug`);
  assert.match(kernelCommandLine({ ...options, maxCpus: 4 }), / nr_cpus=4 /);
});

test("qemu gets the runtime's machine, memory, CPUs and devices", () => {
  const args = qemuArgs(options, paths);
  assert.deepEqual(values(args, '-machine'), ['pc']);
  assert.deepEqual(values(args, '-m'), ['1024M,slots=10,maxmem=4096M']);
  assert.deepEqual(values(args, '-smp'), ['1,cores=1,threads=1,sockets=2,maxcpus=2']);
  assert.deepEqual(values(args, '-numa'), ['node,memdev=dimm1']);
  const devices = values(args, '-device');
  // The bridge first: it must get slot 2.
  assert.equal(devices[0], 'pci-bridge,bus=pci.0,id=pci-bridge-0,chassis_nr=1,shpc=on,addr=2');
  for (const expected of [
    /^virtio-serial-pci,disable-modern=true,/,
    /^virtconsole,/,
    /^virtserialport,.*name=agent\.channel\.0$/,
    /^virtio-rng-pci,/,
    /^virtio-9p-pci,disable-modern=true,fsdev=share0,mount_tag=kataShared,/,
    /^virtio-scsi-pci,id=scsi0,disable-modern=true,/,
  ]) {
    assert.equal(devices.filter((d) => expected.test(d)).length, 1, String(expected));
  }
  assert.ok(values(args, '-fsdev')[0].endsWith(',security_model=none,multidevs=remap'));
  assert.deepEqual(values(args, '-object'), [
    'memory-backend-ram,id=dimm1,size=1024M',
    'rng-random,id=rng0,filename=/dev/urandom',
  ]);
  assert.deepEqual(values(args, '-nic'), ['none']);
  assert.deepEqual(values(args, '-append'), [kernelCommandLine(options)]);
});

test('a tap NIC is plugged as the runtime plugs it without vhost-net', () => {
  const args = qemuArgs({ ...options, nics: [tapNic(network)] }, paths);
  assert.deepEqual(values(args, '-netdev'), ['tap,id=net-tap0,ifname=tap0,script=no,downscript=no']);
  assert.ok(
    values(args, '-device').includes(
      'virtio-net-pci,netdev=net-tap0,mac=02:00:00:a7:00:02,disable-modern=true,mq=on,vectors=4,romfile=',
    ),
  );
  assert.deepEqual(values(args, '-nic'), []);
});

test('the namespace wrapper makes the tap, then execs its arguments', () => {
  const prefix = netnsPrefix(network);
  assert.deepEqual(prefix.slice(0, 5), ['unshare', '--net', '--', 'sh', '-c']);
  const script = prefix[5];
  assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0);
  assert.match(script, /ip tuntap add dev tap0 mode tap\nip addr add 10\.199\.7\.1\/24 dev tap0\n/);
  assert.ok(script.endsWith('exec "$@"'));
  // The wrapper's $0 comes next, so "$@" is exactly what follows it.
  const run = spawnSync('sh', ['-c', 'exec "$@"', prefix[6], 'echo', 'a b'], { encoding: 'utf8' });
  assert.equal(run.stdout, 'a b\n');
});

test("tap counters are read from a process's own network namespace", () => {
  const lo = tapCounters(process.pid, 'lo');
  assert.ok(Number.isInteger(lo.rxPackets) && Number.isInteger(lo.txPackets));
  assert.throws(() => tapCounters(process.pid, 'no-such-tap'), /no no-such-tap in the network namespace/);
});
