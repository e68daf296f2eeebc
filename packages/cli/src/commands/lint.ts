import {
  type ClientMetadataDocumentPolicy,
  type Finding,
  lintClientIdUrl,
  lintClientMetadataDocument,
} from '@gatehouse-oauth/core';
import type { ClientPreview } from '@gatehouse-oauth/server';
import { admissionLines, documentSummary, findingLines } from './preview-report.ts';

/**
 * `gatehouse lint <url|file>`: checks a Client ID Metadata Document the way the server would
 * (draft-ietf-oauth-client-id-metadata-document-02 §3, §4; docs/cimd.md), for client developers.
 *
 * - An https URL is the client_id: its URL rules are checked, it is fetched (through the injected
 *   fetcher, which is the server's hardened one), and the document must name exactly that URL.
 * - Anything else is a file path: the document's own client_id is taken as the URL and checked.
 *
 * Every finding is printed as `error|warning  <ID>  <message>`, then a summary. Exit code 1 when
 * there is any error, else 0. All I/O is injected, so the command is tested without a network.
 *
 * With `server` (main.ts gives it, made from the configuration: `--config`, `--profile`, …), the
 * rules are the server's own: its profile's client-id and document rules, its `cimd` settings, and
 * what governance decides (tier, admission, scope ceiling) by the configuration's rules; without
 * it, the generic rules with `policy`.
 */
export interface LintOptions {
  /** Fetches and parses the document (the lead wires @gatehouse-oauth/safe-fetch in). */
  fetchDocument: (url: string) => Promise<unknown>;
  readFile: (path: string) => Promise<string>;
  out: (line: string) => void;
  policy?: ClientMetadataDocumentPolicy;
  server?: LintServer;
}

/** The server's decisions (server: governance/client-preview.ts), for this configuration. */
export interface LintServer {
  /** What the server refuses on the client_id alone: the URL rules, the profile's client-id rules. */
  clientIdFindings(url: string): Promise<Finding[]>;
  preview(url: string, document: unknown): Promise<ClientPreview>;
}

export async function lintCommand(target: string, options: LintOptions): Promise<number> {
  const { out } = options;
  const findings: Finding[] = [];
  let summary: string[] = [];
  const { server } = options;
  /** Every finding on a document fetched from (or naming) `url`, and what is said when it passes. */
  const lintDocument = async (document: unknown, url: string | undefined) => {
    if (server !== undefined && url !== undefined) {
      const preview = await server.preview(url, document);
      findings.push(...preview.findings);
      summary =
        preview.metadata === undefined ? [] : [documentSummary(preview.metadata), ...admissionLines(preview)];
      return;
    }
    const result = lintClientMetadataDocument(document, url, options.policy);
    findings.push(...result.findings);
    summary = result.metadata === undefined ? [] : [documentSummary(result.metadata)];
  };

  if (/^https?:\/\//i.test(target)) {
    // The URL is the client_id: if it breaks a URL rule, the server would not fetch it either.
    const urlFindings =
      server === undefined ? lintClientIdUrl(target, options.policy) : await server.clientIdFindings(target);
    if (urlFindings.some((finding) => finding.level === 'error')) {
      findings.push(...urlFindings);
    } else {
      const fetched = await fetchQuietly(options.fetchDocument, target);
      if ('failure' in fetched) {
        findings.push(...urlFindings, fetched.failure);
      } else {
        // The document lint repeats the URL findings, so they come from it alone.
        await lintDocument(fetched.document, target);
      }
    }
  } else {
    let text: string | undefined;
    try {
      text = await options.readFile(target);
    } catch (caught) {
      out(
        `error  GH-LINT-INPUT  cannot read ${target}: ${caught instanceof Error ? caught.message : String(caught)}`,
      );
      out('1 error, 0 warnings');
      return 1;
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      findings.push(notJsonFinding(target));
    }
    if (findings.length === 0) {
      // A file names its own client_id: the URL the server would fetch it from.
      const named = (document as { client_id?: unknown } | null)?.client_id;
      await lintDocument(document, typeof named === 'string' ? named : undefined);
    }
  }

  for (const line of findingLines(findings)) out(line);
  const errors = findings.filter((finding) => finding.level === 'error').length;
  if (errors === 0) for (const line of summary) out(line);
  return errors > 0 ? 1 : 0;
}

/** CIMD-DOC-8: a document that does not parse. */
export function notJsonFinding(target: string): Finding {
  return {
    level: 'error',
    id: 'CIMD-DOC-8',
    reason: 'cimd_document_not_json',
    message: `${target} is not valid JSON`,
  };
}

/** CIMD-FETCH-*: 200 only, no redirects, a byte cap, public addresses only; the fetcher says which. */
export function fetchFailureFinding(url: string, caught: unknown): Finding {
  const message = caught instanceof Error ? caught.message : String(caught);
  return {
    level: 'error',
    id: 'CIMD-FETCH',
    reason: 'cimd_fetch_failed',
    message: `could not fetch ${url}: ${message}`,
  };
}

async function fetchQuietly(
  fetchDocument: LintOptions['fetchDocument'],
  url: string,
): Promise<{ document: unknown } | { failure: Finding }> {
  try {
    return { document: await fetchDocument(url) };
  } catch (caught) {
    return { failure: fetchFailureFinding(url, caught) };
  }
}
