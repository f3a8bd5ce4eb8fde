import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CPU_ID, guestValidCpuset, parseCpuList } from '../../src/common/cpu-list';

test('CPU lists', () => {
  assert.deepEqual([...parseCpuList('0-3,5')], [0, 1, 2, 3, 5]);
  assert.deepEqual([...parseCpuList(' 7 \n')], [7]);
  assert.deepEqual([...parseCpuList('')], []);
  assert.deepEqual(parseCpuList('5,0-2,1'), [0, 1, 2, 5], 'sorted, without duplicates');
  for (const bad of ['a', '1-', '3-1', '1,,2', '-1'])
    assert.throws(() => parseCpuList(bad), /invalid CPU/, bad);
});

test('CPU lists are bounded by what a guest can have, without expanding the request', () => {
  assert.equal(parseCpuList(`0-${MAX_CPU_ID}`).length, MAX_CPU_ID + 1);
  // This once expanded 200 million entries and killed the agent.
  assert.throws(() => parseCpuList('0-200000000'), /goes past 8191/);
  assert.throws(() => parseCpuList('99999999999999999999'), /invalid CPU list/);
  const manyRanges = Array.from({ length: 10000 }, () => `0-${MAX_CPU_ID}`).join(',');
  assert.throws(() => parseCpuList(manyRanges), /too long/);
  const manyInRange = Array.from({ length: 2000 }, () => '0-8191').join(',');
  assert.equal(parseCpuList(manyInRange).length, MAX_CPU_ID + 1, 'repeated ranges cost no more than one');
});

test('a requested cpuset is kept only when the guest has all its CPUs online', () => {
  // The examples of the 1.x cpuset documentation, with guest CPUs 0-3 online.
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
  for (const [requested, expected] of cases)
    assert.equal(guestValidCpuset(requested, '0-3\n'), expected, requested);
  assert.throws(() => guestValidCpuset('x', '0-3'), /invalid CPU list/);
});
