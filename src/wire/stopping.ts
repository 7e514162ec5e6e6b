/**
 * The daemon's goodbye: the last line a proxy gets when the daemon stops on purpose
 * (`shoal stop`, SIGTERM). The proxy swallows it and reconnects lazily, on its host's
 * next message, so `stop --all` really leaves nothing running while hosts idle; a
 * daemon that vanishes without it crashed, and the proxy reconnects at once.
 * An MCP notification in our own namespace: a host that somehow sees it ignores it.
 */
const encoder = new TextEncoder();

export const STOPPING_LINE = '{"jsonrpc":"2.0","method":"notifications/dev.shoal/daemon-stopping"}';
const STOPPING = encoder.encode(STOPPING_LINE);

/** Bytes to send: the line and its newline. */
export const STOPPING_BYTES = encoder.encode(`${STOPPING_LINE}\n`);

/** Exact match only: cheap enough for every line of the relay. */
export function isStoppingLine(line: Uint8Array): boolean {
  if (line.length !== STOPPING.length || line[0] !== STOPPING[0]) return false;
  for (let i = line.length - 1; i >= 0; i--) if (line[i] !== STOPPING[i]) return false;
  return true;
}
