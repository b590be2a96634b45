import { h, svg, fill } from './dom.js';
import { clock, zone } from './format.js';
import type { MetricPoint } from './model.js';
import type { LiveView } from './types.js';

/** A vertical line where a decision happened. */
export interface Marker {
  t: number;
  label: string;
  tone: 'good' | 'bad' | 'info';
}

export interface ChartOptions {
  /** Names the quantity and its unit, e.g. "Latency p99 (ms)": the axis shows bare numbers. */
  title: string;
  /** The two versions' values at one point; undefined leaves a gap. */
  value: (live: LiveView) => { stable?: number; canary?: number };
  format: (v: number) => string;
  /** The y axis reaches at least this (so a flat zero line sits at the bottom). */
  minMax: number;
}

/** What the two series are called (a flag rollout's are its variant's users and everyone else). */
export type SeriesLabels = Record<(typeof SERIES)[number], string>;

const W = 420;
const H = 170;
const PAD = { left: 34, right: 10, top: 10, bottom: 22 };
const AXIS = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const MIN_SPAN_MS = 20_000;
const SERIES = ['stable', 'canary'] as const;

/** The smallest 1, 2 or 5 × 10^k at or above v. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v - 1e-12) return m * p;
  return 10 * p;
}

/**
 * Canary against stable over time, hand-written SVG: two lines, a few grid
 * lines, and markers where decisions happened. Redrawn whole on each update;
 * at most a few hundred points, so this stays cheap.
 */
export class LineChart {
  readonly el: HTMLElement;
  private readonly plot: SVGSVGElement;
  private readonly latest: HTMLElement;
  /** Set by the owner; used from the next update. */
  labels: SeriesLabels = { stable: 'stable', canary: 'canary' };

  constructor(private readonly opts: ChartOptions) {
    this.plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart-plot', 'aria-label': `${opts.title}: no data yet` });
    this.latest = h('span', { class: 'chart-latest' }, 'waiting for traffic…');
    this.el = h(
      'figure',
      { class: 'chart' },
      h('figcaption', null, h('span', { class: 'chart-title' }, opts.title), this.latest),
      this.plot,
    );
  }

  update(points: MetricPoint[], markers: Marker[], now: number): void {
    const first = points[0]?.t ?? now;
    const span = Math.max(MIN_SPAN_MS, now - first);
    const x0 = now - span;
    const values = points.map((p) => ({ t: p.t, v: p.live ? this.opts.value(p.live) : {} }));
    const max = niceCeil(Math.max(this.opts.minMax, ...values.flatMap((p) => SERIES.map((k) => p.v[k] ?? 0))));
    const x = (t: number) => PAD.left + ((t - x0) / span) * (W - PAD.left - PAD.right);
    const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);

    const grid = [0, 0.25, 0.5, 0.75, 1].map((f) =>
      svg('g', { class: 'grid' }, svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(f * max), y2: y(f * max) }), f * 4 % 2 === 0 ? svg('text', { x: PAD.left - 4, y: y(f * max) + 3, 'text-anchor': 'end' }, AXIS.format(f * max)) : null),
    );
    const ticks = [0, 1 / 3, 2 / 3, 1].map((f) => svg('text', { class: 'tick', x: x(x0 + f * span), y: H - 6, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' }, f === 1 ? `${clock(now)} ${zone(now)}` : clock(x0 + f * span)));
    const lines = SERIES.map((key) => {
      let d = '';
      let n = 0;
      let pen = false;
      for (const p of values) {
        const v = p.v[key];
        if (v === undefined || !Number.isFinite(v)) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
        n++;
      }
      return svg('path', { class: `line ${key}`, d: d || 'M0,0', 'data-series': key, 'data-points': n });
    });
    const marks = markers
      .filter((m) => m.t >= x0 && m.t <= now)
      .map((m) =>
        svg(
          'g',
          { class: `marker ${m.tone}`, 'data-marker': m.label },
          svg('title', null, `${clock(m.t)} ${zone(m.t)} ${m.label}`),
          svg('line', { x1: x(m.t), x2: x(m.t), y1: PAD.top, y2: H - PAD.bottom }),
          svg('circle', { cx: x(m.t), cy: PAD.top + 3, r: 3.5 }),
        ),
      );
    fill(this.plot, grid, ticks, marks, lines);

    const last = [...values].reverse().find((p) => SERIES.some((k) => p.v[k] !== undefined));
    const text = last ? SERIES.map((k) => `${this.labels[k]} ${last.v[k] === undefined ? '–' : this.opts.format(last.v[k]!)}`).join(' · ') : 'waiting for traffic…';
    this.latest.textContent = text;
    this.plot.setAttribute('aria-label', `${this.opts.title}, ${this.labels.canary} against ${this.labels.stable}: ${text}`);
  }
}
