import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestValidCpuset, parseCpuList } from '../../src/cgroups/cpuset';
import { parseKeyValues, safeNumber } from '../../src/cgroups/cgroup-fs';
import { parseBlkio } from '../../src/cgroups/stats-v1';
import { parseIoStat } from '../../src/cgroups/stats-v2';
import { pageSizeName, parseNetDev } from '../../src/cgroups/stats';
import { filterPsTable } from '../../src/sandbox/list-processes';

test('guest-valid cpuset (1.x table, guest 0-3)', () => {
  const cases: [string, string][] = [
    ['0', '0'],
    ['0,1,2,3', '0,1,2,3'],
    ['0-3', '0-3'],
    ['2-3', '2-3'],
    ['1,3', '1,3'],
    ['0,1,2,3,4', '0-3'],
    ['0-3,4', '0-3'],
    ['0-4', '0-3'],
    ['2-4', '0-3'],
  ];
  for (const [want, got] of cases) assert.equal(guestValidCpuset(want, '0-3'), got, want);
  assert.throws(() => guestValidCpuset('foo', '0-3'), /invalid cpuset/);
  assert.throws(() => parseCpuList('3-1'), /invalid cpuset/);
  assert.deepEqual(parseCpuList('0-2,5'), [0, 1, 2, 5]);
});

test('blkio v1 lines, io.stat v2 lines', () => {
  assert.deepEqual(parseBlkio('8:0 Read 100\n8:0 Write 50\n8:0 Total 150\nTotal 150\n8:16 7\n'), [
    { major: 8, minor: 0, op: 'Read', value: 100 },
    { major: 8, minor: 0, op: 'Write', value: 50 },
    { major: 8, minor: 0, op: 'Total', value: 150 },
    { major: 8, minor: 16, op: '', value: 7 },
  ]);
  const { bytes, ios } = parseIoStat('8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n');
  assert.deepEqual(bytes, [
    { major: 8, minor: 0, op: 'Read', value: 10 },
    { major: 8, minor: 0, op: 'Write', value: 20 },
  ]);
  assert.deepEqual(
    ios.map((e) => e.value),
    [1, 2],
  );
});

test('key/value files, huge counters, page sizes', () => {
  assert.deepEqual(parseKeyValues('cache 5\nrss 7\nbad x\n'), { cache: 5, rss: 7 });
  assert.equal(safeNumber('9223372036854771712'), Number.MAX_SAFE_INTEGER);
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
      rx_bytes: 2000,
      rx_packets: 20,
      rx_errors: 1,
      rx_dropped: 2,
      tx_bytes: 3000,
      tx_packets: 30,
      tx_errors: 3,
      tx_dropped: 4,
    },
  ]);
});

test('ps table filtered to the container PIDs, header kept', () => {
  const ps = 'UID   PID  PPID CMD\nroot    1     0 init\nroot   42     1 cat\nroot   43     1 sh\n';
  assert.equal(filterPsTable(ps, new Set([42])), 'UID   PID  PPID CMD\nroot   42     1 cat\n');
  assert.throws(() => filterPsTable('USER COMMAND\nroot x\n', new Set()), /failed to find PID field/);
  assert.throws(() => filterPsTable('PID CMD\nabc x\n', new Set()), /failed to convert pid/);
});
