/**
 * Server identity: which hosts share one daemon. The key is a hash of the resolved
 * command, its arguments, the scope root and the configuration-bearing environment,
 * so hosts share exactly when they would have started the same server.
 *
 * Environment rule (documented in README "Which hosts share"): a variable splits
 * instances when its name is listed with `--key-env`, starts with `MCP_`, or contains
 * a configuration word (KEY, TOKEN, SECRET, PASSWORD, CREDENTIAL, AUTH, URL, URI,
 * ENDPOINT, HOST, PORT, CONFIG, PROFILE, REGION, ACCOUNT, PROJECT, DATABASE, API) —
 * unless it is known per-session noise (terminal, ssh-agent, display, shell level,
 * process ids). Only names are ever shown; values feed the hash and nothing else.
 */
import { createHash } from "node:crypto";

export type Scope = "cwd" | "git" | "global";

export interface KeyInput {
  /** Command as resolved to an absolute path where possible. */
  command: string;
  args: string[];
  /** Scope root (realpath of cwd, git root, or "" for global). */
  root: string;
  env: Record<string, string>;
  /** Extra variable names that split instances (`--key-env`). */
  keyEnv: string[];
  /** `--name`: when set, the key is derived from the name alone. */
  name?: string;
}

export interface ServerKey {
  /** 16 hex chars; names the socket, lock and log files. */
  key: string;
  /** Human name: `--name`, else the command's base name. */
  name: string;
  /** Names (never values) of the variables that went into the key, sorted. */
  envNames: string[];
}

const CONFIG_WORDS =
  /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|URL|URI|ENDPOINT|HOST|PORT|CONFIG|PROFILE|REGION|ACCOUNT|PROJECT|DATABASE|API/;

/** Per-session noise that must never split instances even though it looks like config. */
const NOISE = new Set([
  "SSH_AUTH_SOCK",
  "SSH_AGENT_PID",
  "SSH_CONNECTION",
  "SSH_CLIENT",
  "SSH_TTY",
  "GPG_AGENT_INFO",
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "DBUS_SESSION_BUS_ADDRESS",
  "XAUTHORITY",
  "HOSTNAME",
  "HOSTTYPE",
  "WINDOWID",
  "SHLVL",
  "PWD",
  "OLDPWD",
  "_",
]);
const NOISE_PREFIXES = ["TERM", "ITERM", "TMUX", "VSCODE_", "KITTY_", "WT_", "XDG_SESSION", "SHOAL_"];

/** True when `name` is a configuration-bearing variable by the documented rule. */
export function isKeyEnv(name: string, keyEnv: readonly string[] = []): boolean {
  if (keyEnv.includes(name)) return true;
  if (NOISE.has(name) || NOISE_PREFIXES.some((p) => name.startsWith(p))) return false;
  if (name.endsWith("_PID") || name.endsWith("_SOCK")) return false;
  return name.startsWith("MCP_") || CONFIG_WORDS.test(name);
}

/** Compute the key. Pure: the caller resolves the command and the scope root. */
export function serverKey(input: KeyInput): ServerKey {
  const envNames = Object.keys(input.env).filter((n) => isKeyEnv(n, input.keyEnv)).sort();
  const hash = createHash("sha256");
  if (input.name !== undefined && input.name !== "") {
    hash.update(JSON.stringify(["name", input.name]));
  } else {
    const env = envNames.map((n) => [n, input.env[n]]);
    hash.update(JSON.stringify(["cmd", input.command, input.args, input.root, env]));
  }
  const base = input.command.split(/[\\/]/).pop() || input.command;
  const subject = input.args.find((a) => !a.startsWith("-")) ?? "";
  const name = input.name || (isLauncher(base) && subject ? displayName(subject) : base);
  return { key: hash.digest("hex").slice(0, 16), name, envNames };
}

/** `pkg/dist/index.js` → `pkg`; `@scope/server` stays as it is. */
function displayName(subject: string): string {
  const stem = (p: string) => p.replace(/\.[cm]?[jt]sx?$|\.py$/, "");
  if (subject.startsWith("@") && subject.split("/").length === 2) return subject;
  if (!subject.includes("/")) return stem(subject);
  const parts = subject.split("/").filter((p) => p !== "");
  let i = parts.length - 1;
  if (/^(index|main|cli|server|mod)$/.test(stem(parts[i])) && i > 0) i--;
  while (i > 0 && /^(dist|build|lib|src|bin|out)$/.test(parts[i])) i--;
  return stem(parts[i]);
}

/** `npx foo`, `uvx foo`, `node server.js`: the interesting part is the first argument. */
function isLauncher(base: string): boolean {
  return /^(npx|uvx|bunx|pnpx|node|bun|deno|python3?|uv|pipx|docker)$/.test(base);
}
