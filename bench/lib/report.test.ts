// The benchmark report's arithmetic and its place in docs/benchmarks.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BEGIN_MARKER, END_MARKER, spliceBlock } from './report';
import { evaluate } from './result';
import { median, roundRatios, summarize } from './stats';
import { costChart } from './chart';

test('median, spread and per-round ratios', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(summarize([10, 12, 8]), { median: 10, min: 8, max: 12, spreadPct: 20 });
  assert.deepEqual(roundRatios([2, 9], [1, 3]), [2, 3]);
});

test('verdicts: ratio targets use the median of per-round ratios; throughput costs invert', () => {
  const slow = evaluate({
    id: 'x',
    title: 'x',
    unit: 'ms',
    better: 'lower',
    subject: { name: 'a', samples: [13, 26, 39] },
    floor: { name: 'f', samples: [10, 20, 30] },
    targets: [{ of: 'ratio', op: '<=', limit: 1.2, text: '≤ 1.2×' }],
  });
  assert.equal(slow.ratio!.median, 1.3);
  assert.equal(slow.verdicts[0].holds, false);
  const fast = evaluate({
    id: 'y',
    title: 'y',
    unit: 'MiB/s',
    better: 'higher',
    subject: { name: 'a', samples: [50, 100] },
    floor: { name: 'f', samples: [100, 200] },
    targets: [{ of: 'value', op: '>=', limit: 90, text: '≥ 90' }],
  });
  assert.equal(fast.cost!.median, 2);
  assert.equal(fast.verdicts[0].value, 75);
  assert.equal(fast.verdicts[0].holds, false);
  assert.match(costChart([slow, fast], 't'), /^<svg[\s\S]*1\.30×[\s\S]*2\.00×[\s\S]*<\/svg>\n$/);
});

test('the generated block replaces only itself, or goes under the title', () => {
  const hand = '# Benchmarks\n\nintro\n\n## VM\n\nnumbers\n';
  const first = spliceBlock(hand, 'generated one');
  assert.equal(
    first,
    `# Benchmarks\n\n${BEGIN_MARKER}\ngenerated one\n${END_MARKER}\n\nintro\n\n## VM\n\nnumbers\n`,
  );
  const second = spliceBlock(first, 'generated two');
  assert.equal(second, first.replace('generated one', 'generated two'));
  assert.equal(spliceBlock(undefined, 'g'), `# Benchmarks\n\n${BEGIN_MARKER}\ng\n${END_MARKER}\n`);
});
