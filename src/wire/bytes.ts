/** Byte helpers shared by the relay, the outboxes and hello reading. */

/**
 * One buffer holding `parts` in order: one write (one syscall) instead of many. A single
 * part is returned as it is, not copied. `total` may be passed when the caller knows it.
 */
export function concatBytes(parts: Uint8Array[], total?: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  if (total === undefined) {
    total = 0;
    for (const p of parts) total += p.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
