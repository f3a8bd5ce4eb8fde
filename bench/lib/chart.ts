// An SVG bar chart of every case's cost relative to its floor (1 = the floor),
// on a log scale, with the min–max spread of the rounds and the target ratio.
import type { CaseOutcome } from './result';
import { formatNumber } from './stats';

const ROW = 30;
/** The narrowest label column; long titles widen it (about 6.6 px per character at 12 px). */
const MIN_LABEL_WIDTH = 330;
const PLOT_WIDTH = 420;
const RIGHT = 90;
const TOP = 48;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function costChart(outcomes: readonly CaseOutcome[], title: string): string {
  const rows = outcomes.filter((o) => o.cost);
  const maxCost = Math.max(2, ...rows.map((o) => o.cost!.max));
  const minCost = Math.min(0.5, ...rows.map((o) => o.cost!.min));
  const lo = Math.log2(minCost);
  const hi = Math.ceil(Math.log2(maxCost));
  const labelWidth = Math.max(
    MIN_LABEL_WIDTH,
    16 + Math.ceil(6.6 * Math.max(0, ...rows.map((o) => o.title.length))),
  );
  const x = (v: number): number => labelWidth + ((Math.log2(v) - lo) / (hi - lo)) * PLOT_WIDTH;
  const height = TOP + rows.length * ROW + 40;
  const width = labelWidth + PLOT_WIDTH + RIGHT;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="36" fill="#555">times the floor's cost (time, memory or time per byte), log scale; whiskers: min–max of rounds; ▲ target</text>`,
  ];
  for (let p = Math.floor(lo); p <= hi; p++) {
    const v = 2 ** p;
    if (v < minCost * 0.99) continue;
    const xv = x(v);
    out.push(
      `<line x1="${xv}" y1="${TOP - 4}" x2="${xv}" y2="${TOP + rows.length * ROW}" stroke="${v === 1 ? '#000' : '#ddd'}" stroke-dasharray="${v === 1 ? '' : '3,3'}"/>`,
      `<text x="${xv}" y="${TOP + rows.length * ROW + 16}" text-anchor="middle" fill="#555">${formatNumber(v)}×</text>`,
    );
  }
  rows.forEach((o, i) => {
    const y = TOP + i * ROW;
    const cost = o.cost!;
    const failing = o.verdicts.some((v) => !v.holds);
    const colour = failing ? '#d9534f' : '#4a90d9';
    const x0 = x(Math.min(1, cost.median));
    const x1 = x(Math.max(1, cost.median));
    out.push(
      `<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end">${escape(o.title)}</text>`,
      `<rect x="${x0}" y="${y + 6}" width="${Math.max(1, x1 - x0)}" height="${ROW - 12}" fill="${colour}"/>`,
      `<line x1="${x(cost.min)}" y1="${y + ROW / 2}" x2="${x(cost.max)}" y2="${y + ROW / 2}" stroke="#333"/>`,
      `<text x="${labelWidth + PLOT_WIDTH + 8}" y="${y + 18}">${formatNumber(cost.median)}×</text>`,
    );
    for (const v of o.verdicts) {
      if (v.target.of !== 'ratio') continue;
      const limit = o.better === 'lower' ? v.target.limit : 1 / v.target.limit;
      const xt = x(limit);
      out.push(`<path d="M${xt - 5},${y + ROW} L${xt + 5},${y + ROW} L${xt},${y + ROW - 7} Z" fill="#222"/>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
