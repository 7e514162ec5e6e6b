/**
 * Entry point of the `shoal` binary: pick the runtime adapter, run the CLI, exit.
 */
import { runCli } from "./cli/run.ts";
import { selectRuntime } from "./runtime/select.ts";

const runtime = await selectRuntime();
const status = await runCli(runtime, runtime.args());
runtime.exit(status);
