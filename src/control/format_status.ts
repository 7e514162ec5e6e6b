/**
 * Human `shoal status`: a table of daemons, then one indented block per daemon with
 * its command, paths and clients. `--json` prints the records instead (docs/status.md).
 */
import type { Found } from "./discover.ts";

export function formatStatus(found: Found[]): string {
  const rows = [["KEY", "NAME", "PID", "STATE", "CLIENTS", "SERVER", "RESTARTS", "SERVED", "UPTIME", "RSS"]];
  const blocks: string[] = [];
  for (const f of found) {
    if (f.kind === "unresponsive") {
      rows.push([f.key, "?", String(f.pid), "unresponsive", "?", "?", "?", "?", "?", "?"]);
      blocks.push(`${f.key}: unresponsive: ${f.reason}\n  socket  ${f.socket}`);
      continue;
    }
    const s = f.status;
    const main = s.upstreams[0];
    const rss = (s.rssBytes ?? 0) + s.upstreams.reduce((sum, u) => sum + (u.rssBytes ?? 0), 0);
    rows.push([
      s.key,
      s.name,
      String(s.pid),
      s.state,
      String(s.clients.length),
      main ? `${main.pid} ${main.state}` : "-",
      String(s.upstreams.reduce((n, u) => n + u.restarts, 0)),
      String(s.requestsServed),
      duration(s.uptimeMs),
      rss ? `${(rss / 1048576).toFixed(1)}M` : "-",
    ]);
    const lines = [
      `${s.key} (${s.name})`,
      `  command  ${[s.command, ...s.args].join(" ")}`,
      `  cwd      ${s.cwd}  scope=${s.scope}${s.envNames.length ? `  env=${s.envNames.join(",")}` : ""}`,
      `  socket   ${s.socket}`,
      `  log      ${s.log}`,
      `  idle     ${s.idle.timeoutMs === 0 ? "never exits" : s.idle.expiresInMs === null ? `${s.idle.timeoutMs / 1000}s after the last client` : `exits in ${duration(s.idle.expiresInMs)}`}`,
    ];
    for (const u of s.upstreams) {
      const exit = u.lastExit ? ` last exit ${u.lastExit.code ?? u.lastExit.signal}` : "";
      lines.push(`  server   lane=${u.lane} pid=${u.pid} ${u.state} restarts=${u.restarts}${exit}`);
      if (u.state === "crash-loop" && u.stderrTail.length) lines.push(`           stderr: ${u.stderrTail.at(-1)}`);
    }
    for (const c of s.clients) {
      lines.push(`  client   #${c.id} pid=${c.pid} ${c.host ?? "?"}${c.hostVersion ? ` ${c.hostVersion}` : ""} in-flight=${c.inFlight}`);
    }
    blocks.push(lines.join("\n"));
  }
  return `${table(rows)}\n\n${blocks.join("\n\n")}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
