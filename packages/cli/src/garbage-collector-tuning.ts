import { setFlagsFromString } from 'node:v8';

/**
 * V8's garbage collector, set for a process that serves requests. `listen()` calls this before
 * its server starts; an application that embeds the library in its own server passes the same
 * flags to `node` (docs/deployment.md, "The Node process").
 */
export function tuneGarbageCollectorForServing(): void {
  // Decision 0048: V8's allocation-site pretenuring, once it judges a site long-lived from what one
  // scavenge saw alive, allocates that site's objects in the old generation from then on. Under a
  // server's load it came to judge Node's per-request HTTP objects so, and a pushed request then
  // cost a third more CPU, all of it the collector's. A process that serves requests keeps them young.
  setFlagsFromString('--no-allocation-site-pretenuring');
  // Decision 0049: after a full collection V8 lets the old generation grow by as little as a
  // tenth of what survived when its collections have been quick, so a server whose live heap is
  // small ran one every five seconds under a flood of unknown client_ids. Each one's marking
  // threads took the core from the requests for about 50 ms. Growing by as much as survived
  // costs that much memory once (tens of MiB) and makes them several times rarer.
  setFlagsFromString('--heap-growing-percent=100');
}
