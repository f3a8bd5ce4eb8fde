import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counter, parseKeyValues } from '../../src/cgroups/cgroup-fs';
import { parseBlkio } from '../../src/cgroups/stats-v1';
import { parseIoStat } from '../../src/cgroups/stats-v2';
import { pageSizeName, parseNetDev } from '../../src/cgroups/stats';
import { filterPsTable } from '../../src/sandbox/list-processes';

test('blkio v1 lines, io.stat v2 lines', () => {
  assert.deepEqual(parseBlkio('8:0 Read 100\n8:0 Write 50\n8:0 Total 150\nTotal 150\n8:16 7\n'), [
    { major: 8n, minor: 0n, op: 'Read', value: 100n },
    { major: 8n, minor: 0n, op: 'Write', value: 50n },
    { major: 8n, minor: 0n, op: 'Total', value: 150n },
    { major: 8n, minor: 16n, op: '', value: 7n },
  ]);
  const { bytes, ios } = parseIoStat('8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n');
  assert.deepEqual(bytes, [
    { major: 8n, minor: 0n, op: 'Read', value: 10n },
    { major: 8n, minor: 0n, op: 'Write', value: 20n },
  ]);
  assert.deepEqual(
    ios.map((e) => e.value),
    [1n, 2n],
  );
});

test('key/value files, huge counters, page sizes', () => {
  assert.deepEqual(parseKeyValues('cache 5\nrss 7\nbad x\n'), { cache: 5n, rss: 7n });
  // The kernel's "unlimited" and the top of uint64 arrive exactly, not as the nearest double.
  assert.equal(counter('9223372036854771712'), 9223372036854771712n);
  assert.equal(counter('18446744073709551615'), 18446744073709551615n);
  assert.equal(counter('18446744073709551616'), 18446744073709551615n);
  assert.equal(counter('-1'), 0n);
  assert.equal(pageSizeName(2048 * 1024), '2MB');
  assert.equal(pageSizeName(1024 * 1024 * 1024), '1GB');
  assert.equal(pageSizeName(64 * 1024), '64KB');
});

test('/proc/net/dev without loopback', () => {
  const text = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
    '  eth0:    2000      20    1    2    0     0          0         0     3000      30    3    4    0     0       0          0',
  ].join('\n');
  assert.deepEqual(parseNetDev(text), [
    {
      name: 'eth0',
      rx_bytes: 2000n,
      rx_packets: 20n,
      rx_errors: 1n,
      rx_dropped: 2n,
      tx_bytes: 3000n,
      tx_packets: 30n,
      tx_errors: 3n,
      tx_dropped: 4n,
    },
  ]);
});

test('ps table filtered to the container PIDs, header kept', () => {
  const ps = 'UID   PID  PPID CMD\nroot    1     0 init\nroot   42     1 cat\nroot   43     1 sh\n';
  assert.equal(filterPsTable(ps, new Set([42])), 'UID   PID  PPID CMD\nroot   42     1 cat\n');
  assert.throws(() => filterPsTable('USER COMMAND\nroot x\n', new Set()), /failed to find PID field/);
  assert.throws(() => filterPsTable('PID CMD\nabc x\n', new Set()), /failed to convert pid/);
});
