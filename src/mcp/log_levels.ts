/** MCP logging levels (syslog severities), least to most severe. */
export const LOG_LEVELS = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
] as const;

export type LogLevel = typeof LOG_LEVELS[number];

/** Rank of `level` (0 = debug), or −1 for anything that is not an MCP level. */
export function severity(level: unknown): number {
  return typeof level === "string" ? LOG_LEVELS.indexOf(level as LogLevel) : -1;
}

/** True when a message at `messageLevel` passes a `threshold`; unknown levels pass. */
export function passes(messageLevel: unknown, threshold: LogLevel | undefined): boolean {
  if (threshold === undefined) return true;
  const rank = severity(messageLevel);
  return rank < 0 || rank >= severity(threshold);
}
