/**
 * Round-trip latency of well-behaved hosts, for tests that check one host's misdeeds
 * do not slow the others: sequential echo calls, timed with performance.now().
 */
import type { RawSocket } from "./raw_socket.ts";

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
}

/** Sequential echo calls on each host until `done()` says stop (at least `min` each). */
export async function measureLatency(
  hosts: RawSocket[],
  options: { min: number; max?: number; done?: () => boolean },
): Promise<number[]> {
  const samples: number[] = [];
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  await Promise.all(hosts.map(async (host, h) => {
    for (let i = 0; i < max && (i < options.min || !(options.done?.() ?? true)); i++) {
      const started = performance.now();
      const text = `h${h}-${i}`;
      const reply = await host.request("tools/call", { name: "echo", arguments: { text } }, {
        timeoutMs: 10_000,
      });
      samples.push(performance.now() - started);
      if (reply.result?.content?.[0]?.text !== text) {
        throw new Error(`Wrong answer to a well-behaved host: ${JSON.stringify(reply)}`);
      }
    }
  }));
  return samples;
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    count: sorted.length,
    p50Ms: round(at(0.5)),
    p90Ms: round(at(0.9)),
    maxMs: round(sorted.at(-1) ?? NaN),
  };
}
