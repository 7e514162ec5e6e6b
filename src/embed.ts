/**
 * Building blocks for embedders (exported from mod.ts): the same spec the CLI builds
 * from `shoal proxy [options] -- <command>`, without going through argv parsing.
 */
import type { Runtime } from "./runtime/types.ts";
import type { DaemonOptions } from "./daemon/daemon_options.ts";
import { type ServerSpec, serverSpec } from "./cli/server_spec.ts";

/** CLI-style options, as `shoal proxy` takes them (all optional). */
export interface SpecOptions {
  name?: string;
  scope?: "cwd" | "git" | "global";
  keyEnv?: string[];
  idleSeconds?: number;
  stateDir?: string;
  cwd?: string;
}

/** Resolve `command` (argv of the server) into a {@link ServerSpec}. */
export function serverSpecFor(runtime: Runtime, command: string[], options: SpecOptions = {}): Promise<ServerSpec> {
  const values: Record<string, string | string[] | undefined> = {
    name: options.name,
    scope: options.scope,
    "key-env": options.keyEnv,
    idle: options.idleSeconds === undefined ? undefined : String(options.idleSeconds),
    "state-dir": options.stateDir,
    cwd: options.cwd,
  };
  return serverSpec(runtime, "embed", { values, positionals: [], rest: command });
}

/** The {@link DaemonOptions} that serve `spec`. */
export function daemonOptions(spec: ServerSpec, extra: { build: string; launchedBy?: string }): DaemonOptions {
  return {
    stateDir: spec.stateDir,
    key: spec.key,
    scope: spec.scope,
    command: spec.command,
    args: spec.args,
    cwd: spec.cwd,
    env: spec.env,
    idleMs: spec.idleSeconds * 1000,
    maxMessageBytes: spec.maxMessageBytes,
    maxQueueBytes: spec.maxQueueBytes,
    logLevel: spec.logLevel,
    logMaxBytes: spec.logMaxBytes,
    build: extra.build,
    launchedBy: extra.launchedBy ?? `embedded: ${[spec.command, ...spec.args].join(" ")}`,
  };
}
