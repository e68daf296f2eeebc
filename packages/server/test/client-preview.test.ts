/**
 * The preview of a Client ID Metadata Document client (CIMD-CO-3; issue #13, item 6): what the server would
 * decide (validation with the profile's and the `cimd` settings' rules, tier, admission, scope
 * ceiling, the tier's policy), storing nothing; and pre-registration, which records the client and
 * its approval the way the server would have.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AuthorizationServerOptions,
  clientIdFindings,
  createClientPreviewContext,
  preRegisterCimdClient,
  previewClient,
} from '../src/index.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import { CIMD_URL, cimdDocument } from './support/stub-documents.ts';

const ISSUER = 'https://as.example.test';
const NOW = 1_800_000_000_000;

function context(options: Partial<AuthorizationServerOptions> = {}) {
  const store = options.store ?? createMemoryStore();
  return {
    store,
    context: createClientPreviewContext({ issuer: ISSUER, clock: () => NOW, ...options, store }),
  };
}

describe('client preview', () => {
  it('a valid document: no error, the normalised metadata, verified-domain, approved in open mode', async () => {
    const { context: c } = context();
    const preview = await previewClient(c, CIMD_URL, cimdDocument());
    assert.equal(preview.valid, true);
    assert.deepEqual(
      preview.findings.filter((finding) => finding.level === 'error'),
      [],
    );
    assert.equal(preview.metadata?.client_name, 'Example CIMD client');
    assert.equal(preview.decidedOn, 'document');
    assert.deepEqual(preview.governedClient, {
      clientId: CIMD_URL,
      kind: 'cimd',
      host: 'client.example.test',
      softwareId: undefined,
      redirectHosts: ['app.example.test'],
    });
    assert.equal(preview.tier, 'verified-domain');
    assert.equal(preview.decision.state, 'approved');
    assert.equal(preview.decision.admitted, true);
    assert.equal(preview.scopeCeiling, null, 'no tier ceiling and no document scope: no limit');
    assert.equal(preview.policy.consent, 'remembered');
    assert.equal(preview.policy.refresh, true);
  });

  it('an invalid document: every finding, no metadata, decided on the client_id alone', async () => {
    const { context: c } = context();
    const preview = await previewClient(
      c,
      CIMD_URL,
      cimdDocument({ client_secret: 'x', client_id: 'https://elsewhere.example.test/c.json' }),
    );
    assert.equal(preview.valid, false);
    assert.equal(preview.metadata, undefined);
    assert.equal(preview.decidedOn, 'client_id');
    const errors = preview.findings
      .filter((finding) => finding.level === 'error')
      .map((finding) => finding.id);
    assert.deepEqual(errors, ['CIMD-DOC-1', 'CIMD-DOC-4']);
    assert.equal(preview.governedClient.host, 'client.example.test');
    assert.equal(preview.tier, 'verified-domain');
  });

  it("the tier's scope ceiling narrows a wide document scope; the document narrows the tier", async () => {
    const { context: c } = context({
      governance: { tiers: { verifiedDomain: { scopes: ['read', 'write'] } } },
    });
    const wide = await previewClient(c, CIMD_URL, cimdDocument({ scope: 'read write admin' }));
    assert.deepEqual(wide.scopeCeiling, ['read', 'write']);
    assert.deepEqual(wide.policy.scopes, ['read', 'write']);
    const narrow = await previewClient(c, CIMD_URL, cimdDocument({ scope: 'read' }));
    assert.deepEqual(narrow.scopeCeiling, ['read']);
    const { context: open } = context();
    const own = await previewClient(open, CIMD_URL, cimdDocument({ scope: 'read admin' }));
    assert.deepEqual(own.scopeCeiling, ['read', 'admin'], 'no tier ceiling: the document scope alone');
  });

  it('a blocked domain, in the configuration file or stored: blocked', async () => {
    const { context: c } = context({
      governance: { rules: [{ selector: 'domain:example.test', state: 'blocked', note: 'not here' }] },
    });
    const preview = await previewClient(c, CIMD_URL, cimdDocument());
    assert.equal(preview.decision.state, 'blocked');
    assert.equal(preview.decision.refusal, 'client_blocked');
    assert.equal(preview.decision.admitted, false);
    assert.equal(preview.decision.stateRule?.selector, 'domain:example.test');

    const store = createMemoryStore();
    await store.governance.putRule({
      selector: 'host:client.example.test',
      state: 'blocked',
      updatedBy: 'cli:test',
      createdAt: NOW,
      updatedAt: NOW,
    });
    const stored = await previewClient(context({ store }).context, CIMD_URL, cimdDocument());
    assert.equal(stored.decision.refusal, 'client_blocked');
    assert.equal(stored.decision.stateRule?.origin, 'stored');
  });

  it('approval mode: pending until a rule approves; the rule may place a tier', async () => {
    const store = createMemoryStore();
    const { context: c } = context({ store, governance: { mode: 'approval' } });
    const pending = await previewClient(c, CIMD_URL, cimdDocument());
    assert.equal(pending.decision.state, 'pending');
    assert.equal(pending.decision.refusal, 'client_pending');

    await store.governance.putRule({
      selector: CIMD_URL,
      state: 'approved',
      tier: 'trusted',
      updatedBy: 'cli:test',
      createdAt: NOW,
      updatedAt: NOW,
    });
    // A new context reads the stored rules again (a server reloads on the governance change).
    const approved = await previewClient(
      context({ store, governance: { mode: 'approval' } }).context,
      CIMD_URL,
      cimdDocument(),
    );
    assert.equal(approved.decision.state, 'approved');
    assert.equal(approved.tier, 'trusted');
  });

  it('local redirects only: the local tier and its policy (consent every time)', async () => {
    const { context: c } = context();
    const preview = await previewClient(
      c,
      CIMD_URL,
      cimdDocument({ redirect_uris: ['http://127.0.0.1/cb'] }),
    );
    assert.equal(preview.valid, true);
    assert.equal(preview.tier, 'local');
    assert.equal(preview.policy.consent, 'every-time');
  });

  it("the profile's rules apply: atproto refuses what the default profile accepts", async () => {
    const atproto = context({
      profile: 'atproto',
      resources: [{ uri: 'https://pds.example.test', scopes: [], name: 'PDS' }],
    }).context;
    const document = cimdDocument({ scope: 'atproto' });
    assert.equal((await previewClient(context().context, CIMD_URL, document)).valid, true);
    const refused = await previewClient(atproto, CIMD_URL, document);
    assert.equal(refused.valid, false);
    assert.deepEqual(
      refused.findings.filter((finding) => finding.level === 'error'),
      [
        {
          level: 'error',
          id: 'AT-4',
          reason: 'atproto_dpop_bound_access_tokens',
          message: 'dpop_bound_access_tokens must be true (AT-4)',
        },
      ],
    );
    // AT-2: before any fetch, a client_id with a port.
    const ported = await clientIdFindings(atproto, 'https://client.example.test:8443/c.json');
    assert.deepEqual(
      ported.map((finding) => [finding.id, finding.reason]),
      [['AT-2', 'atproto_client_id_port']],
    );
    assert.deepEqual(
      await clientIdFindings(context().context, 'https://client.example.test:8443/c.json'),
      [],
    );
  });

  it('stores nothing', async () => {
    const { store, context: c } = context();
    await previewClient(c, CIMD_URL, cimdDocument());
    assert.deepEqual(await store.clients.list(), []);
    assert.deepEqual(await store.governance.listRules(), []);
    assert.equal(await store.clientChanges.latest(), 0);
    assert.deepEqual(await store.audit.list(), []);
  });
});

describe('pre-registration of a document client', () => {
  const body = new TextEncoder().encode(JSON.stringify(cimdDocument()));

  it('records the client as the resolver would, approves its exact client_id, publishes, audits', async () => {
    const { store, context: c } = context({ governance: { mode: 'approval' } });
    const preview = await previewClient(c, CIMD_URL, cimdDocument());
    const audited: Record<string, unknown>[] = [];
    const deps = {
      store,
      clock: () => NOW,
      audit: async (event: Record<string, unknown>) => void audited.push(event),
    };
    const result = await preRegisterCimdClient(deps, {
      preview,
      body,
      etag: '"v1"',
      tier: 'trusted',
      owner: 'platform team',
      actor: 'cli:alice',
    });
    assert.equal(result.recorded, true);
    assert.equal(result.rule.before, undefined);
    const stored = await store.clients.get(CIMD_URL);
    assert.equal(stored?.kind, 'cimd');
    assert.equal(stored?.createdAt, NOW);
    assert.deepEqual(stored?.metadata, preview.metadata);
    const version = await store.clientDocuments.latest(CIMD_URL);
    assert.equal(version?.body, new TextDecoder().decode(body));
    assert.equal(version?.headers.etag, '"v1"');
    assert.deepEqual(await store.governance.listRules(), [
      {
        selector: CIMD_URL,
        state: 'approved',
        tier: 'trusted',
        owner: 'platform team',
        updatedBy: 'cli:alice',
        createdAt: NOW,
        updatedAt: NOW,
      },
    ]);
    const [change] = await store.clientChanges.since(0, 10);
    assert.deepEqual(
      { ...change, sequence: 0 },
      { sequence: 0, clientId: CIMD_URL, kind: 'governance', at: NOW },
    );
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.type, 'client.added');
    assert.equal(audited[0]!.actor, 'cli:alice');

    // Now approved, in the tier the rule placed, in approval mode.
    const after = await previewClient(
      context({ store, governance: { mode: 'approval' } }).context,
      CIMD_URL,
      cimdDocument(),
    );
    assert.equal(after.decision.state, 'approved');
    assert.equal(after.tier, 'trusted');

    // Again: the record is kept, the rule replaced, its tier kept when none is given.
    const again = await preRegisterCimdClient(deps, { preview, body, owner: 'security', actor: 'cli:bob' });
    assert.equal(again.recorded, false);
    assert.equal(again.rule.before?.owner, 'platform team');
    assert.equal(again.rule.after.tier, 'trusted');
    assert.equal(again.rule.after.owner, 'security');
  });

  it('refuses an invalid document and stores nothing', async () => {
    const { store, context: c } = context();
    const preview = await previewClient(c, CIMD_URL, cimdDocument({ client_secret: 'x' }));
    await assert.rejects(
      preRegisterCimdClient(
        { store, clock: () => NOW, audit: async () => {} },
        { preview, body, actor: 'cli:alice' },
      ),
      (error: Error & { reason?: string }) => error.reason === 'cimd_client_secret',
    );
    assert.deepEqual(await store.clients.list(), []);
    assert.deepEqual(await store.governance.listRules(), []);
  });
});
