import type { Command } from "./command.ts";
import { daemonCommand } from "./daemon_command.ts";
import { logsCommand } from "./logs_command.ts";
import { proxyCommand } from "./proxy_command.ts";
import { restartCommand } from "./restart_command.ts";
import { statusCommand } from "./status_command.ts";
import { stopCommand } from "./stop_command.ts";

/** Every working subcommand, in help order. */
export const COMMANDS: readonly Command[] = [
  proxyCommand,
  statusCommand,
  stopCommand,
  restartCommand,
  logsCommand,
  daemonCommand,
];
