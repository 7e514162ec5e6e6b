// Start-up as a host sees it: from spawning its server command (or `shoal proxy`) to
// the answer of its `initialize`. Cold = no daemon yet (the proxy elects itself,
// spawns the daemon, the daemon spawns the server); warm = a daemon already serves an
// initialized server, so only the proxy starts and the answer comes from the cache.
import { Host } from "./host.mjs";
import { summarize } from "./stats.mjs";

/** Spawn, initialize, close; `times` times in a row. */
async function startups(spec, times, between = async () => {}) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const host = new Host(spec);
    samples.push(await host.initialize(`startup-${i}`));
    await host.close();
    await between();
  }
  return summarize(samples);
}

/** The server itself, started directly by each host. */
export function directStartup(spec, times) {
  return startups(spec, times);
}

/** No daemon running: each try is the first host (the daemon is stopped after it). */
export async function coldStart(shoal, times) {
  await shoal.stop();
  return startups(shoal.proxySpec(), times, () => shoal.stop());
}

/** A daemon serves `anchor` (an attached, initialized host); other hosts come and go. */
export function warmAttach(shoal, times) {
  return startups(shoal.proxySpec(), times);
}
