/**
 * What a world did, read from outside: every process still mentioning its state dir
 * (proxies, daemons, servers started with the dir as a marker argument), and the
 * counts the daemons wrote to their logs (starts, server restarts, attaches).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./cleanup.ts";

/** Live processes whose command line has an argument equal to `marker`. */
export function pidsMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (argv.includes(marker) && isAlive(Number(name))) pids.push(Number(name));
  }
  return pids;
}

/** Live children of `parent` whose command line has an argument equal to `marker`. */
export function childrenOf(parent: number, marker: string): number[] {
  return pidsMentioning(marker).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the parenthesised command: state, then the parent pid.
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === parent;
    } catch {
      return false;
    }
  });
}

export interface LogFacts {
  /** `daemon_start` lines: daemons that won the election and served. */
  daemonsStarted: number;
  /** Server processes started, first ones and restarts alike. */
  serverPids: number[];
  /** `server_started` with `restarts` > 0: restarts after a crash. */
  serverRestarts: number;
  /** `client_attached` lines, and the distinct proxy pids among them. */
  attaches: number;
  proxies: number;
}

/**
 * Counts from every `*.log` in `stateDir`. A daemon killed with SIGKILL may lose its
 * last unflushed lines, so these are lower bounds.
 */
export function readLogFacts(stateDir: string): LogFacts {
  const facts: LogFacts = {
    daemonsStarted: 0,
    serverPids: [],
    serverRestarts: 0,
    attaches: 0,
    proxies: 0,
  };
  const proxies = new Set<string>();
  for (const name of readdirSync(stateDir)) {
    if (!name.endsWith(".log")) continue;
    for (const line of readFileSync(join(stateDir, name), "utf8").split("\n")) {
      if (/ daemon_start /.test(line)) facts.daemonsStarted++;
      const started = / server_started .*\bpid=(\d+) restarts=(\d+)/.exec(line);
      if (started) {
        facts.serverPids.push(Number(started[1]));
        if (Number(started[2]) > 0) facts.serverRestarts++;
      }
      const attached = / client_attached .*\bpid=(\d+)/.exec(line);
      if (attached) {
        facts.attaches++;
        proxies.add(attached[1]);
      }
    }
  }
  facts.proxies = proxies.size;
  return facts;
}
