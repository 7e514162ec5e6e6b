// The machine and tool versions a run was made on (for BENCHMARKS.md and the JSON).
import { execFile, execFileSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./subjects.mjs";

async function version(command, args) {
  try {
    const { stdout } = await promisify(execFile)(command, args, { encoding: "utf8" });
    return stdout.split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

async function lines(command, args) {
  try {
    const { stdout } = await promisify(execFile)(command, args, { encoding: "utf8" });
    return stdout.split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

const gitStatus = ["--no-optional-locks", "-C", ROOT, "status", "--porcelain", "--", "src"];

/** `root`: the checkout whose shoal is benchmarked. */
export async function machine(root = ROOT) {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    deno: await version(resolve(ROOT, "node_modules/.bin/deno"), ["--version"]),
    bun: await version(resolve(ROOT, "node_modules/.bin/bun"), ["--version"]),
    shoal: await version(resolve(root, "dist/shoal"), ["--version"]),
    checkout: root,
    commit: await version("git", ["-C", root, "rev-parse", "--short", "HEAD"]),
    // Files of src/ that differ from the commit (the binary was built from those);
    // unknown for another checkout.
    uncommittedSrcFiles: root === ROOT ? (await lines("git", gitStatus)).length : null,
  };
}

/**
 * Format a generated Markdown file the way `deno fmt` wants it (`bench/` is in the fmt
 * set of deno.json), so a check of the repository stays clean. Best effort.
 */
export function formatMarkdown(path) {
  try {
    execFileSync(resolve(ROOT, "node_modules/.bin/deno"), ["fmt", "--quiet", path], {
      stdio: "ignore",
    });
  } catch {
    // Unformatted is still readable.
  }
}
