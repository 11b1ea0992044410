import type { ScenarioResult } from './scenario.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Tick marks of the time axis: seconds and their labels. */
const TIME_TICKS: readonly [number, string][] = [
  [10, '10 s'],
  [30, '30 s'],
  [60, '1 min'],
  [120, '2 min'],
  [300, '5 min'],
  [600, '10 min'],
  [1800, '30 min'],
  [3600, '1 h'],
  [7200, '2 h'],
  [18_000, '5 h'],
  [36_000, '10 h'],
  [86_400, '24 h'],
  [172_800, '48 h'],
  [604_800, '7 d'],
];

/** A duration in the unit that reads best. */
export function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

interface Panel {
  readonly title: string;
  readonly results: readonly ScenarioResult[];
  /** The target, in minutes, drawn as a vertical line. */
  readonly targetMinutes: number;
  readonly targetLabel: string;
}

/**
 * Progress over virtual time, one panel for the crawls and one for the fan-outs: share of items done against
 * minutes, on a log scale, a solid line where simulated and a dashed one where extrapolated, the target as a vertical line.
 */
export function progressChart(results: readonly ScenarioResult[], subtitle: string): string {
  const panels: Panel[] = [
    {
      title: 'Crawl: feeds fetched',
      results: results.filter((r) => r.kind === 'crawl'),
      targetMinutes: 5,
      targetLabel: 'target: 10 M in 5 min',
    },
    {
      title: 'Fan-out of one article: subscribers reached',
      results: results.filter((r) => r.kind === 'fanout'),
      targetMinutes: 2,
      targetLabel: 'target: 12.5 M in 2 min',
    },
  ].filter((panel) => panel.results.length > 0);
  const panelWidth = 520;
  const panelHeight = 300;
  const margin = { left: 64, right: 24, top: 70, bottom: 100 };
  const width = panels.length * (panelWidth + margin.left + margin.right);
  const height = panelHeight + margin.top + margin.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">feedrelay scale model: progress over virtual time</text>`,
    `<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">${escape(subtitle)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = p * (panelWidth + margin.left + margin.right) + margin.left;
    const y0 = margin.top;
    // Virtual time on a log scale: today's hours and the targets' minutes fit one axis.
    const maxSeconds = Math.max(panel.targetMinutes * 60 * 2, ...panel.results.map((r) => r.seconds)) * 1.15;
    const minSeconds = 5;
    const sx = (seconds: number) =>
      x0 + (Math.log(Math.max(minSeconds, seconds) / minSeconds) / Math.log(maxSeconds / minSeconds)) * panelWidth;
    const sy = (share: number) => y0 + panelHeight - share * panelHeight;
    parts.push(
      `<text x="${x0 + panelWidth / 2}" y="${y0 - 12}" text-anchor="middle" font-size="14">${escape(panel.title)}</text>`,
    );
    // Grid and axes.
    let lastTickX = Number.NEGATIVE_INFINITY;
    for (const [seconds, label] of TIME_TICKS.filter(([t]) => t <= maxSeconds)) {
      if (sx(seconds) - lastTickX < 44) continue;
      lastTickX = sx(seconds);
      parts.push(
        `<line x1="${sx(seconds)}" y1="${y0}" x2="${sx(seconds)}" y2="${y0 + panelHeight}" stroke="#eee"/>`,
        `<text x="${sx(seconds)}" y="${y0 + panelHeight + 16}" text-anchor="middle">${label}</text>`,
      );
    }
    for (let s = 0; s <= 1.0001; s += 0.25) {
      parts.push(
        `<line x1="${x0}" y1="${sy(s)}" x2="${x0 + panelWidth}" y2="${sy(s)}" stroke="#eee"/>`,
        `<text x="${x0 - 6}" y="${sy(s) + 4}" text-anchor="end">${Math.round(s * 100)} %</text>`,
      );
    }
    parts.push(
      `<line x1="${x0}" y1="${y0 + panelHeight}" x2="${x0 + panelWidth}" y2="${y0 + panelHeight}" stroke="#333"/>`,
      `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 + panelHeight}" stroke="#333"/>`,
      `<text x="${x0 + panelWidth / 2}" y="${y0 + panelHeight + 34}" text-anchor="middle">virtual time since start (log scale)</text>`,
      `<text transform="translate(${x0 - 48},${y0 + panelHeight / 2}) rotate(-90)" text-anchor="middle">share done</text>`,
    );
    // Target.
    const tx = sx(panel.targetMinutes * 60);
    parts.push(
      `<line x1="${tx}" y1="${y0}" x2="${tx}" y2="${y0 + panelHeight}" stroke="#2a2" stroke-width="1.5" stroke-dasharray="2,3"/>`,
      `<text x="${tx - 4}" y="${y0 + 14}" text-anchor="end" fill="#2a2">${escape(panel.targetLabel)}</text>`,
    );
    // One line per scenario.
    panel.results.forEach((result, i) => {
      const color = COLORS[(p * 3 + i) % COLORS.length]!;
      const simulated = result.extrapolated ? result.curve.slice(0, -1) : result.curve;
      const points = simulated.map(([t, share]) => `${sx(t).toFixed(1)},${sy(share).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
      if (result.extrapolated && simulated.length > 0) {
        // At the steady rate progress is linear in time, which the log scale bends: draw it point by point.
        const [t, share] = simulated[simulated.length - 1]!;
        const dashed = Array.from({ length: 41 }, (_, k) => {
          const at = t + ((result.seconds - t) * k) / 40;
          return `${sx(at).toFixed(1)},${sy(share + ((1 - share) * k) / 40).toFixed(1)}`;
        }).join(' ');
        parts.push(
          `<polyline points="${dashed}" fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="6,4"/>`,
        );
      }
      const label =
        `${result.name}: ${duration(result.seconds)}, $${result.cost.total.toFixed(2)}` +
        (result.extrapolated ? ` (dashed: extrapolated from ${(result.simulatedItems / 1e6).toFixed(2)} M)` : '');
      const ly = y0 + panelHeight + 56 + i * 16;
      parts.push(
        `<line x1="${x0}" y1="${ly - 4}" x2="${x0 + 24}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
        `<text x="${x0 + 30}" y="${ly}">${escape(label)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
