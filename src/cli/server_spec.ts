/**
 * The options `proxy` and `daemon` share: which server, how it is keyed, where state
 * lives. Parsing turns them into a {@link ServerSpec}; `specArgs` turns a spec back into
 * arguments so a proxy can start a daemon for exactly the same server.
 */
import type { ParseArgsConfig } from "node:util";
import { ShoalError } from "../errors.ts";
import type { Runtime } from "../runtime/types.ts";
import { resolveCommand, scopeRoot } from "../daemon/resolve.ts";
import { type Scope, serverKey, type ServerKey } from "../daemon/server_key.ts";
import {
  DEFAULT_IDLE_SECONDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_MAX_QUEUE_BYTES,
} from "../daemon/daemon_options.ts";
import { resolveStateDir } from "../state/state_dir.ts";
import { intOption, type Parsed } from "./args.ts";

export const SERVER_OPTIONS = {
  name: { type: "string" },
  scope: { type: "string" },
  "key-env": { type: "string", multiple: true },
  idle: { type: "string" },
  "state-dir": { type: "string" },
  cwd: { type: "string" },
  "max-message-bytes": { type: "string" },
  "max-queue-bytes": { type: "string" },
  "log-level": { type: "string" },
  "log-max-bytes": { type: "string" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

export const SERVER_OPTIONS_HELP = `  --name NAME             Share by this name instead of by command, scope and env
  --scope cwd|git|global  Which hosts share: same directory (default), same git
                          repository, or every host of this user
  --key-env VAR           Also split instances by this variable (repeatable)
  --idle SECONDS          Linger after the last host leaves (default ${DEFAULT_IDLE_SECONDS}; 0 = never exit)
  --state-dir DIR         Sockets, locks, logs and token (default: $SHOAL_STATE_DIR,
                          $XDG_RUNTIME_DIR/shoal, or \${TMPDIR:-/tmp}/shoal-<uid>)
  --cwd DIR               Directory the server runs in (default: the current one)
  --max-message-bytes N   Largest JSON-RPC message accepted (default 32 MiB)
  --max-queue-bytes N     Bytes queued for a host that stopped reading before it is
                          disconnected, and for a server that stopped reading before
                          requests to it fail at once (default 64 MiB)
  --log-level LEVEL       Daemon log level: trace (adds every message, cut to 2 KiB),
                          debug, info, warn, error (default info)
  --log-max-bytes N       Rotate the daemon log (server stderr included) to <log>.1
                          past this size (default 8 MiB)`;

export interface ServerSpec {
  stateDir: string;
  scope: Scope;
  name?: string;
  keyEnv: string[];
  idleSeconds: number;
  cwd: string;
  command: string;
  args: string[];
  /** The command resolved through PATH (what the key hashes). */
  resolved: string;
  env: Record<string, string>;
  key: ServerKey;
  maxMessageBytes: number;
  maxQueueBytes: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error";
  logMaxBytes: number;
}

/** Build the spec; throws ERR_USAGE for bad options or a missing command. */
export async function serverSpec(
  runtime: Runtime,
  command: string,
  parsed: Parsed,
): Promise<ServerSpec> {
  const v = parsed.values;
  if (parsed.positionals.length > 0) {
    throw new ShoalError(
      "ERR_USAGE",
      `${command}: unexpected argument "${parsed.positionals[0]}": put the server command after "--"`,
    );
  }
  if (parsed.rest.length === 0) {
    throw new ShoalError("ERR_USAGE", `${command}: missing server command after "--"`);
  }
  const scope = (v.scope as string | undefined) ?? "cwd";
  if (scope !== "cwd" && scope !== "git" && scope !== "global") {
    throw new ShoalError("ERR_USAGE", `${command}: option "--scope" must be cwd, git or global, got "${scope}"`);
  }
  const logLevel = (v["log-level"] as string | undefined) ?? "info";
  if (!["trace", "debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ShoalError("ERR_USAGE", `${command}: option "--log-level" must be trace, debug, info, warn or error`);
  }
  const env = runtime.env();
  const cwd = (v.cwd as string | undefined) ?? runtime.cwd();
  const [serverCommand, ...serverArgs] = parsed.rest;
  const keyEnv = (v["key-env"] as string[] | undefined) ?? [];
  const resolved = await resolveCommand(runtime.fs, serverCommand, cwd, env.PATH);
  const root = await scopeRoot(runtime.fs, cwd, scope);
  const name = v.name as string | undefined;
  const stateDir = await resolveStateDir(runtime, {
    override: v["state-dir"] as string | undefined,
    env,
    uid: runtime.uid(),
    cwd: runtime.cwd(),
  });
  return {
    stateDir,
    scope,
    name,
    keyEnv,
    idleSeconds: intOption(command, "idle", v.idle, DEFAULT_IDLE_SECONDS),
    cwd,
    command: serverCommand,
    args: serverArgs,
    resolved,
    env,
    key: serverKey({ command: resolved, args: serverArgs, root, env, keyEnv, name }),
    maxMessageBytes: intOption(command, "max-message-bytes", v["max-message-bytes"], DEFAULT_MAX_MESSAGE_BYTES),
    maxQueueBytes: intOption(command, "max-queue-bytes", v["max-queue-bytes"], DEFAULT_MAX_QUEUE_BYTES),
    logLevel: logLevel as ServerSpec["logLevel"],
    logMaxBytes: intOption(command, "log-max-bytes", v["log-max-bytes"], DEFAULT_LOG_MAX_BYTES),
  };
}

/** Arguments that make `shoal daemon --foreground` serve exactly this spec. */
export function specArgs(spec: ServerSpec): string[] {
  return [
    "--state-dir", spec.stateDir,
    "--scope", spec.scope,
    ...(spec.name ? ["--name", spec.name] : []),
    ...spec.keyEnv.flatMap((k) => ["--key-env", k]),
    "--idle", String(spec.idleSeconds),
    "--cwd", spec.cwd,
    "--max-message-bytes", String(spec.maxMessageBytes),
    "--max-queue-bytes", String(spec.maxQueueBytes),
    "--log-level", spec.logLevel,
    "--log-max-bytes", String(spec.logMaxBytes),
    "--", spec.command, ...spec.args,
  ];
}
