/**
 * The console's pictures (issue #15, item 5; decision 0040), drawn on the server as SVG: no
 * script, no chart library, nothing the CSP must allow. Each is an image with a title and a
 * description (role="img", aria-labelledby) and sits beside a table or list that says the same in
 * text, for screen readers and for anyone who would rather read the numbers.
 */
import { html } from 'hono/html';

export interface HourBars {
  /** Label of the hour (e.g. `14`), oldest first. */
  label: string;
  issued: number;
  refused: number;
}

const WIDTH = 720;
const HEIGHT = 200;
const PLOT_TOP = 10;
const PLOT_BOTTOM = 170;

/** Two bars per hour (tokens issued, refusals), on one linear scale from zero. */
export function hourlyBarChart(id: string, title: string, description: string, hours: readonly HourBars[]) {
  const top = Math.max(1, ...hours.map((hour) => Math.max(hour.issued, hour.refused)));
  const slot = (WIDTH - 40) / Math.max(1, hours.length);
  const bar = Math.max(2, slot / 2 - 2);
  const heightOf = (value: number) => ((PLOT_BOTTOM - PLOT_TOP) * value) / top;
  const bars = hours.map((hour, index) => {
    const x = 36 + index * slot;
    const issued = heightOf(hour.issued);
    const refused = heightOf(hour.refused);
    return html`<rect class="issued" x="${x.toFixed(1)}" y="${(PLOT_BOTTOM - issued).toFixed(1)}" width="${bar.toFixed(1)}" height="${issued.toFixed(1)}"></rect><rect class="refused" x="${(x + bar + 1).toFixed(1)}" y="${(PLOT_BOTTOM - refused).toFixed(1)}" width="${bar.toFixed(1)}" height="${refused.toFixed(1)}"></rect>${index % 3 === 0 ? html`<text x="${x.toFixed(1)}" y="${PLOT_BOTTOM + 16}">${hour.label}</text>` : ''}`;
  });
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${title}</title><desc id="${id}-desc">${description}</desc>
<line class="axis" x1="34" y1="${PLOT_BOTTOM}" x2="${WIDTH}" y2="${PLOT_BOTTOM}"></line>
<text x="0" y="${PLOT_TOP + 10}">${top}</text><text x="0" y="${PLOT_BOTTOM}">0</text>
${bars}
</svg>`;
}

export interface TimelinePoint {
  label: string;
  at: number;
}

/**
 * A document's versions on a line, oldest on the left, placed by time: a dot per version, its
 * number under it. Equal spacing when every version has one time.
 */
export function versionTimeline(
  id: string,
  title: string,
  description: string,
  points: readonly TimelinePoint[],
) {
  const width = 720;
  const first = Math.min(...points.map((point) => point.at));
  const last = Math.max(...points.map((point) => point.at));
  const span = last - first;
  const xOf = (point: TimelinePoint, index: number) =>
    span === 0
      ? 30 + (index * (width - 60)) / Math.max(1, points.length - 1)
      : 30 + ((point.at - first) * (width - 60)) / span;
  return html`<svg class="chart" viewBox="0 0 ${width} 70" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${title}</title><desc id="${id}-desc">${description}</desc>
<line class="line" x1="20" y1="25" x2="${width - 20}" y2="25"></line>
${points.map(
  (point, index) =>
    html`<circle class="version" cx="${xOf(point, index).toFixed(1)}" cy="25" r="7"></circle><text x="${(xOf(point, index) - 8).toFixed(1)}" y="55">${point.label}</text>`,
)}
</svg>`;
}
