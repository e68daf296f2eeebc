// Runs before `npm start` and `npm test` with whatever Node.js the machine has (it may be older than
// the project needs, so this file is plain JavaScript that any Node >= 14 runs). It installs the
// locked dependencies when they are missing or older than package-lock.json; among them is the
// `node` package, which brings Node.js 24 into node_modules/.bin, where npm scripts find it before
// the machine's own.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const hiddenLock = 'node_modules/.package-lock.json'; // npm writes it at the end of every install
const fresh =
  existsSync('node_modules/.bin/node') &&
  existsSync(hiddenLock) &&
  statSync(hiddenLock).mtimeMs >= statSync('package-lock.json').mtimeMs;

if (!fresh) {
  console.error('gatehouse: installing the locked dependencies ...');
  // `npm install`, not `npm ci`: the lockfile records only this platform's optional binaries
  // (Biome, TypeScript), which `npm ci` of npm 11 rejects as "out of sync". With the lockfile
  // satisfying package.json, `npm install` installs exactly the locked versions and leaves it as is.
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
}
