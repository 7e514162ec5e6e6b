/**
 * shoal as a library: share one stdio MCP server between many hosts.
 *
 * The CLI (`shoal proxy|daemon|status|…`) is a thin layer over these exports; an
 * embedder can start or attach to a daemon for a command, run a daemon in-process, or
 * query what runs. Everything takes a {@link Runtime} from {@link selectRuntime}.
 *
 * @example Share a server from an embedding tool
 * ```ts
 * import { runProxy, selectRuntime, serverSpec } from "./mod.ts";
 * const runtime = await selectRuntime();
 * const spec = await serverSpecFor(runtime, ["npx", "-y", "some-mcp-server"]);
 * await runProxy(runtime, spec, { build: "my-build", warn: async (m) => console.error(m) });
 * ```
 *
 * @module
 */

/**
 * Run the proxy side: attach to (or start) the daemon for `spec` and relay the
 * runtime's stdin/stdout; runs the server directly when no daemon can be had.
 * Resolves with the exit status.
 *
 * @example
 * ```ts
 * const runtime = await selectRuntime();
 * const spec = await serverSpecFor(runtime, ["node", "server.js"]);
 * const status = await runProxy(runtime, spec, { build: BUILD, warn: async () => {} });
 * ```
 */
export { runProxy } from "./src/proxy/proxy.ts";
/** Options of {@link runProxy}: the build id and where one-line warnings go. */
export type { ProxyOptions } from "./src/proxy/proxy.ts";

/**
 * A daemon for one server key, in this process.
 *
 * @example
 * ```ts
 * const runtime = await selectRuntime();
 * const spec = await serverSpecFor(runtime, ["node", "server.js"]);
 * const daemon = new Daemon(runtime, daemonOptions(spec, { build: BUILD }));
 * if (await daemon.start()) await daemon.finished;
 * ```
 */
export { Daemon } from "./src/daemon/daemon.ts";
/** Everything a {@link Daemon} needs; build it with {@link daemonOptions}. */
export type { DaemonOptions } from "./src/daemon/daemon_options.ts";

/**
 * Resolve a server command line (and optional CLI-style options) into a
 * {@link ServerSpec}: key, state dir, cwd, environment.
 *
 * @example
 * ```ts
 * const spec = await serverSpecFor(runtime, ["npx", "-y", "server"], { scope: "git" });
 * console.log(spec.key.key, spec.key.name);
 * ```
 */
export { daemonOptions, serverSpecFor } from "./src/embed.ts";
/** A resolved server: command, key, scope, state dir, limits. */
export type { ServerSpec } from "./src/cli/server_spec.ts";

/**
 * Every daemon of a state directory, answering or hung; never starts one.
 *
 * @example
 * ```ts
 * for (const found of await discoverDaemons(runtime, spec.stateDir, BUILD)) {
 *   if (found.kind === "running") console.log(found.status.name, found.status.clients.length);
 * }
 * ```
 */
export { discoverDaemons } from "./src/control/discover.ts";
/** One entry of {@link discoverDaemons}. */
export type { Found } from "./src/control/discover.ts";
/** The `status --json` record of one daemon (docs/status.md). */
export type { DaemonStatus } from "./src/daemon/status.ts";

/**
 * The runtime adapter for this process (`SHOAL_ADAPTER=deno|bun|node` overrides).
 *
 * @example
 * ```ts
 * const runtime = await selectRuntime();
 * console.log(runtime.name);
 * ```
 */
export { selectRuntime } from "./src/runtime/select.ts";
/** The runtime contract every adapter implements. */
export type { Runtime } from "./src/runtime/types.ts";

/**
 * The pure MCP router (messages in, messages out) for embedders with their own I/O.
 *
 * @example
 * ```ts
 * const router = new Router();
 * const out = [...router.addClient(1), ...router.fromClient(1, '{"jsonrpc":"2.0","id":1,"method":"ping"}')];
 * ```
 */
export { Router } from "./src/mcp/router.ts";

/**
 * The domain error: `code` is an `ERR_*` string with one exit status and one JSON-RPC
 * code each.
 *
 * @example
 * ```ts
 * try { await daemon.start(); } catch (e) { if (e instanceof ShoalError) console.error(e.code); }
 * ```
 */
export { ShoalError } from "./src/errors.ts";

/**
 * Version and build id of this shoal.
 *
 * @example
 * ```ts
 * console.log(`shoal ${VERSION} (${BUILD})`);
 * ```
 */
export { BUILD, VERSION } from "./src/version.ts";
