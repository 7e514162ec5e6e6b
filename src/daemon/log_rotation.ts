import type { Fs } from "../runtime/types.ts";

/**
 * Copy-and-truncate: the daemon's stderr is this file, opened O_APPEND by its launcher,
 * so renaming it would keep us writing to the renamed file. Copying to `.1` and then
 * truncating lets the same descriptor carry on at the new end. A line written between
 * the copy and the truncation can be lost; nothing else is.
 */
export async function rotateLog(fs: Fs, path: string): Promise<void> {
  const bytes = await fs.readFile(path);
  await fs.writeFile(`${path}.1`, bytes, 0o600);
  await fs.writeFile(path, "");
}
