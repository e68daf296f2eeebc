import type { Finding } from '@gatehouse-oauth/core';
import type { ClientPreview } from '@gatehouse-oauth/server';

/**
 * How `gatehouse lint` and `gatehouse clients preview|add --cimd` say what the server decides about
 * a document client (server: governance/client-preview.ts): the findings the way lint always
 * printed them, then what governance makes of the client, one `label  value` line each.
 */

/** `error|warning  <ID>  <message>` per finding, then the count. */
export function findingLines(findings: readonly Finding[]): string[] {
  const errors = findings.filter((finding) => finding.level === 'error').length;
  return [
    ...findings.map((finding) => `${finding.level}  ${finding.id}  ${finding.message}`),
    `${plural(errors, 'error')}, ${plural(findings.length - errors, 'warning')}`,
  ];
}

/** The one-line summary of a document the server accepts. */
export function documentSummary(metadata: NonNullable<ClientPreview['metadata']>): string {
  return (
    `ok: ${metadata.client_id} as ${metadata.token_endpoint_auth_method === 'none' ? 'a public client' : 'a private_key_jwt client'}` +
    `, grant_types ${metadata.grant_types.join(' ')}`
  );
}

/** Kind, tier, decision (with why), scope ceiling and the tier's policy. */
export function admissionLines(preview: ClientPreview): string[] {
  const { governedClient: client, decision, policy } = preview;
  const facts = [
    client.kind,
    ...(client.host === undefined ? [] : [`host ${client.host}`]),
    ...(client.softwareId === undefined ? [] : [`software ${client.softwareId}`]),
    ...((client.redirectHosts ?? []).length === 0
      ? []
      : [`redirect hosts ${client.redirectHosts!.join(' ')}`]),
  ];
  let outcome: string = decision.state;
  if (decision.refusal !== undefined)
    outcome += decision.admitted
      ? `: would be refused (${decision.refusal}), not enforced in report-only mode`
      : `: refused (${decision.refusal})`;
  if (preview.decidedOn === 'client_id') outcome += ', decided on the client_id alone';
  const decided = [
    label('client', facts.join(', ')),
    label('tier', preview.tier),
    label('decision', outcome),
    ...decision.reasons.map((reason) => label('', reason)),
  ];
  // A refused document grants nothing: what its tier would allow is in the JSON, not said here.
  if (preview.decidedOn === 'client_id') return decided;
  return [
    ...decided,
    label(
      'scopes',
      preview.scopeCeiling === null
        ? 'no ceiling: whatever the resources offer'
        : `at most ${preview.scopeCeiling.join(' ') || '(none)'}`,
    ),
    label(
      'resources',
      policy.resources === undefined ? 'every configured resource' : policy.resources.join(' '),
    ),
    label('policy', policyText(policy)),
  ];
}

/** The tier's policy; a lifetime the tier leaves unset is the server's (`lifetimes`): "default". */
function policyText(policy: ClientPreview['policy']): string {
  const lifetime = (seconds: number | undefined) => (seconds === undefined ? 'default' : `${seconds} s`);
  return [
    `consent ${policy.consent}`,
    `DPoP ${policy.dpop}`,
    `lifetimes: access tokens ${lifetime(policy.accessTokenSeconds)}, refresh tokens ${
      policy.refresh ? lifetime(policy.refreshTokenSeconds) : 'none issued'
    }, a login ${lifetime(policy.tokenFamilySeconds)}`,
    // Decision 0042: said only when on, so the common preview stays as it was.
    ...(policy.clientCredentials ? ['client_credentials allowed'] : []),
  ].join('; ');
}

function label(name: string, value: string): string {
  return `${name.padEnd(10)}${value}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
