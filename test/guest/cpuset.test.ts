import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestValidCpuset, parseCpuList } from '../../src/guest/cpuset';

test('CPU lists', () => {
  assert.deepEqual([...parseCpuList('0-3,5')], [0, 1, 2, 3, 5]);
  assert.deepEqual([...parseCpuList(' 7 \n')], [7]);
  assert.deepEqual([...parseCpuList('')], []);
  for (const bad of ['a', '1-', '3-1', '1,,2', '-1'])
    assert.throws(() => parseCpuList(bad), /invalid CPU/, bad);
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
