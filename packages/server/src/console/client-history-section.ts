/**
 * A client's document history on its console page (issue #15): the versions as a timeline (an SVG
 * with the same versions listed as text), a form to pick any two, and their value-level diff
 * (core's diffClientMetadata through the document history reader, as the admin API's
 * …/history/diff answers it); then the fetch log with status and the drift signals.
 */
import type { ClientMetadataDiff } from '@gatehouse-oauth/core';
import { html } from 'hono/html';
import type { DocumentHistory, VersionDiff } from '../cimd/document-history.ts';
import { messagesFor } from '../messages/catalogue.ts';
import type { AuditEvent } from '../store/store.ts';
import { versionTimeline } from './console-charts.ts';
import { formatTime, type PageFrame } from './console-layout.ts';

const M = messagesFor().console;

const C = M.client;

function shown(value: unknown) {
  return value === undefined
    ? html`<span class="muted">${C.none}</span>`
    : html`<code>${JSON.stringify(value)}</code>`;
}

function diffRows(diff: ClientMetadataDiff) {
  const rows: [string, unknown, unknown][] = [];
  for (const uri of diff.redirectUris.removed) rows.push(['redirect_uris', uri, undefined]);
  for (const uri of diff.redirectUris.added) rows.push(['redirect_uris', undefined, uri]);
  for (const key of diff.keys.removed) rows.push(['jwks', key.thumbprint, undefined]);
  for (const key of diff.keys.added) rows.push(['jwks', undefined, key.thumbprint]);
  if (diff.jwksUri !== undefined) rows.push(['jwks_uri', diff.jwksUri.before, diff.jwksUri.after]);
  for (const change of diff.members) rows.push([change.member, change.before, change.after]);
  return rows;
}

export function diffSection(diff: VersionDiff) {
  const rows = diffRows(diff.diff);
  return html`<h3 id="diff">${C.diffHeading(diff.from.number, diff.to.number)}</h3>
${
  rows.length === 0
    ? html`<p>${C.noDiff}</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">${C.field}</th><th scope="col">${C.before}</th><th scope="col">${C.after}</th></tr></thead>
<tbody>${rows.map(
        ([field, before, after]) =>
          html`<tr><td><code>${field}</code></td><td>${before === undefined ? '' : html`<del>${shown(before)}</del>`}</td><td>${after === undefined ? '' : html`<ins>${shown(after)}</ins>`}</td></tr>`,
      )}</tbody></table></div>`
}`;
}

export function historySection(
  frame: PageFrame,
  history: DocumentHistory,
  chosen: { from?: string; to?: string },
  diff: VersionDiff | undefined,
  drift: readonly AuditEvent[],
) {
  const versions = [...history.versions].reverse();
  const select = (
    name: 'from' | 'to',
    label: string,
    fallback: number | undefined,
  ) => html`<label for="v-${name}">${label}
<select id="v-${name}" name="${name}">${versions.map(
    (version) =>
      html`<option value="${version.number}"${String(version.number) === (chosen[name] ?? String(fallback)) ? ' selected' : ''}>${C.version(version.number)} · ${formatTime(version.fetchedAt)}</option>`,
  )}</select></label>`;
  const newest = history.versions[0]?.number;
  return html`<h2>${C.timeline}</h2>
${
  versions.length === 0
    ? html`<p>${C.noDocument}</p>`
    : html`${versionTimeline(
        'timeline',
        C.timeline,
        C.timelineDescription(versions.length),
        versions.map((version) => ({ label: `v${version.number}`, at: version.fetchedAt })),
      )}
<ol>${versions.map((version) => html`<li>${C.version(version.number)}: ${formatTime(version.fetchedAt)} <code>${version.digest.slice(0, 12)}</code></li>`)}</ol>
${
  versions.length < 2
    ? ''
    : html`<form class="filters" method="get" action="${frame.base}/client#diff" aria-label="${C.compare}">
<input type="hidden" name="client_id" value="${history.clientId}">
${select('from', C.from, newest === undefined ? undefined : newest - 1)}
${select('to', C.to, newest)}
<button type="submit">${C.showDiff}</button>
</form>`
}
${diff === undefined ? '' : diffSection(diff)}`
}
<h2>${C.fetches}</h2>
${
  history.fetches.length === 0
    ? html`<p>${C.noFetches}</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">${M.overview.when}</th><th scope="col">${C.outcome}</th><th scope="col">${C.status}</th><th scope="col">${M.overview.reason}</th></tr></thead>
<tbody>${history.fetches
        .slice(0, 10)
        .map(
          (fetch) =>
            html`<tr><td>${formatTime(fetch.at)}</td><td>${fetch.outcome}</td><td>${fetch.status ?? '—'}</td><td>${fetch.reason === undefined ? '' : html`<code>${fetch.reason}</code>`}</td></tr>`,
        )}</tbody></table></div>`
}
<h3>${C.signals}</h3>
${
  drift.length === 0
    ? html`<p>${C.none}</p>`
    : html`<ul>${drift.map((event) => html`<li>${formatTime(event.at)} <code>${event.type}</code> ${event.reason === undefined ? '' : html`<code>${event.reason}</code>`}</li>`)}</ul>`
}`;
}
