/**
 * Small SVG charts built with DOM APIs (createElementNS; colours come from CSS classes, no style
 * attributes). Each chart is a <figure> whose caption names the SVG (role=img), with a legend and
 * the same numbers as a table in a <details> for screen readers and keyboard users.
 */
import { el } from '../shared/dom.js';
import { attrs, uid } from '../shared/dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

export interface ChartData {
  readonly title: string;
  /** The first column's header in the data table (e.g. "Date", "Method"). */
  readonly categoryHeader: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  /** The summary of the <details> holding the data table. */
  readonly tableLabel: string;
}

/** A round upper bound for the value axis (at least 1). */
export function niceMax(max: number): number {
  if (max <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * magnitude;
    if (candidate >= max) return Math.ceil(candidate);
  }
  return Math.ceil(max);
}

function figure(data: ChartData, chart: SVGSVGElement): HTMLElement {
  const captionId = uid('chart');
  const caption = el('figcaption', { id: captionId }, data.title);
  attrs(chart, { role: 'img', 'aria-labelledby': captionId, focusable: 'false' });
  const legend = el(
    'ul',
    { className: 'legend' },
    ...data.series.map((s, i) =>
      el(
        'li',
        {},
        attrs(el('span', { className: `swatch series-${String(i % 6)}` }), {
          'aria-hidden': 'true',
        }),
        s.name,
      ),
    ),
  );
  const head = el(
    'tr',
    {},
    attrs(el('th', {}, data.categoryHeader), { scope: 'col' }),
    ...data.series.map((s) => attrs(el('th', {}, s.name), { scope: 'col' })),
  );
  const rows = data.categories.map((category, row) =>
    el(
      'tr',
      {},
      attrs(el('th', {}, category), { scope: 'row' }),
      ...data.series.map((s) => el('td', {}, String(s.values[row] ?? 0))),
    ),
  );
  const tableEl = el(
    'table',
    { className: 'data' },
    el('caption', {}, data.title),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
  const details = el(
    'details',
    { className: 'chart-data' },
    el('summary', {}, data.tableLabel),
    attrs(el('div', { className: 'table-scroll', tabIndex: 0 }, tableEl), {
      role: 'region',
      'aria-label': data.title,
    }),
  );
  return el('figure', { className: 'chart' }, caption, legend, chart, details);
}

/** Value-axis grid lines and labels for 0 … max. */
function grid(
  max: number,
  left: number,
  right: number,
  top: number,
  bottom: number,
  vertical: boolean,
): SVGGElement {
  const g = svg('g', { class: 'grid' });
  const steps = 4;
  for (let i = 0; i <= steps; i++) {
    const value = (max / steps) * i;
    const label = Number.isInteger(value) ? String(value) : value.toFixed(1);
    if (vertical) {
      const y = bottom - ((bottom - top) * i) / steps;
      g.append(
        svg('line', { x1: left, x2: right, y1: y, y2: y }),
        svg('text', { x: left - 6, y: y + 4, class: 'axis end' }, label),
      );
    } else {
      const x = left + ((right - left) * i) / steps;
      g.append(
        svg('line', { x1: x, x2: x, y1: top, y2: bottom }),
        svg('text', { x, y: bottom + 14, class: 'axis middle' }, label),
      );
    }
  }
  return g;
}

/** A line chart over categories (e.g. days), one line per series. */
export function lineChart(data: ChartData): HTMLElement {
  const width = 720;
  const height = 260;
  const [left, right, top, bottom] = [44, width - 12, 12, height - 40];
  const n = data.categories.length;
  const max = niceMax(Math.max(0, ...data.series.flatMap((s) => s.values)));
  const x = (i: number): number =>
    n <= 1 ? (left + right) / 2 : left + ((right - left) * i) / (n - 1);
  const y = (v: number): number => bottom - ((bottom - top) * v) / max;
  const chart = svg('svg', {
    viewBox: `0 0 ${String(width)} ${String(height)}`,
    class: 'chart-svg',
  });
  chart.append(svg('title', {}, data.title), grid(max, left, right, top, bottom, true));
  const every = Math.max(1, Math.ceil(n / 8));
  const labels = svg('g', {});
  data.categories.forEach((category, i) => {
    // Every `every`-th day and the last one, unless the last would touch its neighbour.
    const last = i === n - 1;
    if (!last && (i % every !== 0 || n - 1 - i < every / 2)) return;
    labels.append(
      svg('text', { x: x(i), y: bottom + 18, class: 'axis middle' }, category.slice(5)),
    );
  });
  chart.append(labels);
  data.series.forEach((s, index) => {
    const cls = `series-${String(index % 6)}`;
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { points, class: `line ${cls}` }));
    if (n <= 62) {
      const dots = svg('g', {});
      s.values.forEach((v, i) => {
        dots.append(
          svg(
            'circle',
            { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3, class: `dot ${cls}` },
            svg('title', {}, `${s.name}, ${data.categories[i] ?? ''}: ${String(v)}`),
          ),
        );
      });
      chart.append(dots);
    }
  });
  return figure(data, chart);
}

/** Horizontal bars: one group per category, one bar per series. */
export function barChart(data: ChartData): HTMLElement {
  const width = 720;
  const labelWidth = 200;
  const bar = 16;
  const groupGap = 12;
  const groupHeight = data.series.length * bar + groupGap;
  const top = 8;
  const bottom = top + Math.max(1, data.categories.length) * groupHeight;
  const height = bottom + 24;
  const [left, right] = [labelWidth, width - 48];
  const max = niceMax(Math.max(0, ...data.series.flatMap((s) => s.values)));
  const chart = svg('svg', {
    viewBox: `0 0 ${String(width)} ${String(height)}`,
    class: 'chart-svg',
  });
  chart.append(svg('title', {}, data.title), grid(max, left, right, top, bottom, false));
  data.categories.forEach((category, row) => {
    const y0 = top + row * groupHeight + groupGap / 2;
    const g = svg('g', {});
    g.append(
      svg(
        'text',
        { x: left - 8, y: y0 + (data.series.length * bar) / 2 + 4, class: 'axis end' },
        category.length > 28 ? `${category.slice(0, 27)}…` : category,
      ),
    );
    data.series.forEach((s, index) => {
      const value = s.values[row] ?? 0;
      const w = ((right - left) * value) / max;
      const y = y0 + index * bar;
      g.append(
        svg(
          'rect',
          {
            x: left,
            y,
            width: Math.max(0, w).toFixed(1),
            height: bar - 3,
            class: `bar series-${String(index % 6)}`,
          },
          svg('title', {}, `${category}, ${s.name}: ${String(value)}`),
        ),
        svg('text', { x: left + w + 4, y: y + bar - 5, class: 'value' }, String(value)),
      );
    });
    chart.append(g);
  });
  return figure(data, chart);
}
