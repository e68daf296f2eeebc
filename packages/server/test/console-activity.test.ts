/**
 * The overview's day of activity (console/console-activity.ts) and its chart (console-charts.ts):
 * tokens issued and refusals land in their hour, only refusal types count as refusals, and the
 * chart is an image with a title and a description.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countDay, isRefusal } from '../src/console/console-activity.ts';
import { hourlyBarChart, versionTimeline } from '../src/console/console-charts.ts';

const HOUR = 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 7, 12, 30);

describe('the console overview: a day of audit events counted per hour', () => {
  it('counts token.issued and refusals in their hour, oldest hour first, and refusals by reason', () => {
    const day = countDay(
      [
        { at: NOW, type: 'token.issued' },
        { at: NOW - 1000, type: 'client.refused', reason: 'client_blocked' },
        { at: NOW - 2 * HOUR, type: 'login.failed', reason: 'bad_credentials' },
        { at: NOW - 2 * HOUR, type: 'client.refused', reason: 'client_blocked' },
        {
          at: NOW - 3 * HOUR,
          type: 'client.document_changed',
          reason: 'cosmetic',
          clientId: 'https://a.test/c',
        },
        { at: NOW - 3 * HOUR, type: 'governance.would_refuse', reason: 'client_pending' },
        { at: NOW - 30 * HOUR, type: 'token.issued' },
      ],
      NOW,
    );
    assert.equal(day.hours.length, 24);
    assert.equal(day.hours[23]?.start, Date.UTC(2026, 11, 7, 12));
    assert.deepEqual(
      day.hours.slice(-3).map((hour) => [hour.issued, hour.refused]),
      [
        [0, 2],
        [0, 0],
        [1, 1],
      ],
    );
    assert.deepEqual(day.reasons, [
      { reason: 'client_blocked', count: 2 },
      { reason: 'bad_credentials', count: 1 },
    ]);
    assert.deepEqual(
      day.documentEvents.map((event) => event.type),
      ['client.document_changed'],
    );
  });

  it('tells refusals from events that merely carry a reason', () => {
    assert.equal(isRefusal({ type: 'cimd.refused', reason: 'cimd_status_not_200' }), true);
    assert.equal(isRefusal({ type: 'client.registration_rate_limited', reason: 'rate_limited' }), true);
    assert.equal(isRefusal({ type: 'client.document_refreshed', reason: 'changed' }), false);
    assert.equal(isRefusal({ type: 'token.issued' }), false);
  });

  it('draws accessible SVG: role img, title and description, one bar pair per hour', async () => {
    const chart = (
      await hourlyBarChart('c', 'Per hour', 'Three tokens', [
        { label: '11', issued: 3, refused: 1 },
        { label: '12', issued: 0, refused: 0 },
      ])
    ).toString();
    assert.match(chart, /role="img" aria-labelledby="c-title c-desc"/);
    assert.match(chart, /<title id="c-title">Per hour<\/title><desc id="c-desc">Three tokens<\/desc>/);
    assert.equal(chart.match(/class="issued"/g)?.length, 2);
    const timeline = (
      await versionTimeline('t', 'History', 'Two versions', [
        { label: 'v1', at: 0 },
        { label: 'v<2>', at: 10 },
      ])
    ).toString();
    assert.equal(timeline.match(/<circle/g)?.length, 2);
    assert.match(timeline, /v&lt;2&gt;/);
  });
});
