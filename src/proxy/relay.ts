/**
 * The proxy's relay: host stdin → daemon socket, daemon socket → host stdout, byte for
 * byte. Buffers are bounded by construction: each direction holds at most one chunk
 * and waits for the write to be accepted before reading more.
 *
 * Who ends what: host stdin EOF half-closes the socket and waits for the daemon to
 * finish answering; daemon EOF or a broken stdout ends the relay.
 */
import type { ByteReader, ByteWriter, Conn } from "../runtime/types.ts";

export type RelayEnd = "host-closed" | "daemon-closed" | "stdout-broken" | "aborted";

export interface RelayOptions {
  stdin: ByteReader;
  stdout: ByteWriter;
  conn: Conn;
  /** Bytes the daemon sent along with its hello. */
  initial: Uint8Array;
  signal?: AbortSignal;
}

export async function relay(o: RelayOptions): Promise<RelayEnd> {
  let hostClosed = false;
  const upstream = (async () => {
    for (let chunk = await o.stdin.read(); chunk !== null; chunk = await o.stdin.read()) {
      await o.conn.write(chunk);
    }
    hostClosed = true;
    await o.conn.closeWrite();
  })().catch(() => {}); // a broken socket shows on the read side as well

  const downstream = (async (): Promise<RelayEnd> => {
    const daemonEnd = (): RelayEnd => (hostClosed ? "host-closed" : "daemon-closed");
    try {
      if (o.initial.length > 0) await o.stdout.write(o.initial);
    } catch {
      return "stdout-broken";
    }
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await o.conn.read();
      } catch {
        return daemonEnd();
      }
      if (chunk === null) return daemonEnd();
      try {
        await o.stdout.write(chunk);
      } catch {
        return "stdout-broken";
      }
    }
  })();

  const aborted = new Promise<RelayEnd>((resolve) => {
    o.signal?.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
  const end = await Promise.race([downstream, aborted]);
  o.conn.close();
  void upstream;
  return end;
}
