/**
 * How tests run shoal: the compiled binary when SHOAL_BIN is set, else the current
 * runtime on src/main.ts (so `deno test` exercises the Deno adapter end to end).
 */
import { spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = `${ROOT}/src/main.ts`;

/** Command and leading args that run shoal. */
export function shoalCommand(): { command: string; args: string[] } {
  const bin = process.env.SHOAL_BIN;
  if (bin) return { command: bin, args: [] };
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (deno) return { command: deno.execPath(), args: ["run", "-A", "--no-check", MAIN] };
  return { command: process.execPath, args: [MAIN] };
}

/** argv for running `shoal <args>` (e.g. as an MCP server command for an SDK client). */
export function shoalArgv(...args: string[]): { command: string; args: string[] } {
  const base = shoalCommand();
  return { command: base.command, args: [...base.args, ...args] };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `shoal <args>` to completion. */
export function runShoal(
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  const { command, args: base } = shoalCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...base, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`shoal ${args.join(" ")} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Synchronous variant for setup code. */
export function runShoalSync(args: string[], env: Record<string, string> = {}): RunResult {
  const { command, args: base } = shoalCommand();
  const r = spawnSync(command, [...base, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
