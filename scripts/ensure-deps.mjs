// Runs before `npm start` and `npm test` with whatever Node.js the machine has (it may be older than
// the project needs, so this file is plain JavaScript that any Node >= 14 runs). It installs the
// locked dependencies when they are missing or older than package-lock.json; among them is the
// `node` package, which brings Node.js 24 into node_modules/.bin, where npm scripts find it before
// the machine's own.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const hiddenLock = 'node_modules/.package-lock.json'; // npm writes it at the end of every install
const installed = existsSync('node_modules/.bin/node') && existsSync(hiddenLock);
const fresh = installed && statSync(hiddenLock).mtimeMs >= statSync('package-lock.json').mtimeMs;

if (!fresh) {
  // Never installed (a fresh clone, CI): `npm ci`, exactly the lockfile, which carries every
  // platform's optional binaries. Installed but older than the lockfile (after a pull): `npm
  // install`, which brings the tree to the lockfile without deleting it first and keeps a
  // developer's own package.json edits.
  const command = installed ? 'install' : 'ci';
  console.error(`gatehouse: installing the locked dependencies (npm ${command}) ...`);
  // --loglevel=error: on a machine whose Node.js is older than 24, npm warns once per package that
  // asks for a newer engine (over a hundred lines); the project's Node.js 24 is one of the packages
  // being installed, so those warnings say nothing. Errors still print, and a failed install stops
  // here (execSync throws) with npm's exit code.
  try {
    execSync(`npm ${command} --no-audit --no-fund --loglevel=error`, { stdio: 'inherit' });
  } catch (error) {
    console.error(`gatehouse: npm ${command} failed (see above).`);
    process.exit(typeof error.status === 'number' ? error.status : 1);
  }
}
