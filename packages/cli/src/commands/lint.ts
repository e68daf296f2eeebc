import {
  type ClientMetadataDocumentPolicy,
  type Finding,
  lintClientIdUrl,
  lintClientMetadataDocument,
} from '@gatehouse-oauth/core';

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
 */
export interface LintOptions {
  /** Fetches and parses the document (the lead wires @gatehouse-oauth/safe-fetch in). */
  fetchDocument: (url: string) => Promise<unknown>;
  readFile: (path: string) => Promise<string>;
  out: (line: string) => void;
  policy?: ClientMetadataDocumentPolicy;
}

export async function lintCommand(target: string, options: LintOptions): Promise<number> {
  const { out } = options;
  const findings: Finding[] = [];
  let summary: string | undefined;

  if (/^https?:\/\//i.test(target)) {
    // The URL is the client_id: if it breaks a URL rule, the server would not fetch it either.
    const urlFindings = lintClientIdUrl(target, options.policy);
    if (urlFindings.some((finding) => finding.level === 'error')) {
      findings.push(...urlFindings);
    } else {
      const fetched = await fetchQuietly(options.fetchDocument, target);
      if ('failure' in fetched) {
        findings.push(...urlFindings, fetched.failure);
      } else {
        // The document lint repeats the URL findings, so they come from it alone.
        const result = lintClientMetadataDocument(fetched.document, target, options.policy);
        findings.push(...result.findings);
        summary = describe(result.metadata);
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
      findings.push({
        level: 'error',
        id: 'CIMD-DOC-8',
        reason: 'cimd_document_not_json',
        message: `${target} is not valid JSON`,
      });
    }
    if (findings.length === 0) {
      const result = lintClientMetadataDocument(document, undefined, options.policy);
      findings.push(...result.findings);
      summary = describe(result.metadata);
    }
  }

  for (const finding of findings) out(`${finding.level}  ${finding.id}  ${finding.message}`);
  const errors = findings.filter((finding) => finding.level === 'error').length;
  const warnings = findings.length - errors;
  out(`${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
  if (errors === 0 && summary !== undefined) out(summary);
  return errors > 0 ? 1 : 0;
}

function describe(metadata: ReturnType<typeof lintClientMetadataDocument>['metadata']): string | undefined {
  if (metadata === undefined) return undefined;
  return (
    `ok: ${metadata.client_id} as ${metadata.token_endpoint_auth_method === 'none' ? 'a public client' : 'a private_key_jwt client'}` +
    `, grant_types ${metadata.grant_types.join(' ')}`
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

async function fetchQuietly(
  fetchDocument: LintOptions['fetchDocument'],
  url: string,
): Promise<{ document: unknown } | { failure: Finding }> {
  try {
    return { document: await fetchDocument(url) };
  } catch (caught) {
    const message = caught instanceof Error ? caught.message : String(caught);
    // CIMD-FETCH-*: 200 only, no redirects, a byte cap, public addresses only; the fetcher says which.
    return {
      failure: {
        level: 'error',
        id: 'CIMD-FETCH',
        reason: 'cimd_fetch_failed',
        message: `could not fetch ${url}: ${message}`,
      },
    };
  }
}
