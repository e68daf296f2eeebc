import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench -- --quick` end to end, reduced to what is cheap: both servers as real child
 * processes, the four throughput scenarios and the CIMD stampede, then the JSON's shape. It
 * asserts what the bench measured happened (requests succeeded, a refresh bound to DPoP, one fetch
 * for a stampede), never how fast.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run bench -- --quick (issue #8)', () => {
  it('drives Gatehouse and oidc-provider and writes the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-smoke-'));
    try {
      const out = join(dir, 'report.json');
      const run = spawnSync(
        process.execPath,
        [
          join(root, 'bench/run.ts'),
          '--quick',
          '--targets=gatehouse-memory,oidc-provider',
          '--scenarios=metadata,par-cimd,refresh-dpop,code-flow,stampede',
          `--out=${out}`,
        ],
        { cwd: root, encoding: 'utf8', timeout: 100_000 },
      );
      assert.equal(run.status, 0, `bench failed:\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /scenario\s+gatehouse-memory\s+oidc-provider\s+GH\/peer/);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      assert.equal(report.mode, 'quick');
      for (const scenario of ['metadata', 'par-cimd', 'refresh-dpop', 'code-flow']) {
        for (const target of ['gatehouse-memory', 'oidc-provider']) {
          const row = report.throughput.find(
            (r: { scenario: string; target: string }) => r.scenario === scenario && r.target === target,
          );
          assert.ok(row, `${scenario} on ${target} is in the report`);
          assert.equal(row.errors, 0, `${scenario} on ${target}: ${row.errorSamples.join('; ')}`);
          assert.ok(row.ops > 0);
          assert.ok(row.p99Ms >= row.p50Ms);
          // The refresh is measured as what it claims to be: DPoP-bound, with the server's nonce.
          if (scenario === 'refresh-dpop') assert.equal(row.notes.tokenType, 'DPoP');
        }
      }
      // CIMD scenario (1): every concurrent request for one unseen client_id is served from one fetch.
      assert.equal(report.stampede.length, 2);
      for (const stampede of report.stampede) {
        assert.equal(stampede.fetches, 1, `${stampede.target} fetched ${stampede.fetches} times`);
        assert.equal(stampede.succeeded, stampede.requests);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
