import type { Fs } from "../runtime/types.ts";

/** Resident set size of `pid` in bytes from /proc (Linux), or null where unavailable. */
export async function rssBytes(fs: Fs, pid: number): Promise<number | null> {
  if (pid <= 0) return null;
  const text = await fs.readTextFile(`/proc/${pid}/status`).catch(() => "");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : null;
}
