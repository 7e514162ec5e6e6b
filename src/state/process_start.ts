/**
 * Process identity beyond the pid: the start time. A pid alone proves nothing — pids
 * are reused — so a lock record carries its owner's start time and a record is only
 * "alive" when the pid exists AND started at that same moment.
 */
import type { ByteReader, Runtime } from "../runtime/types.ts";
import { RuntimeError } from "../runtime/types.ts";

/** What probing needs: procfs reads on Linux, `ps` elsewhere. */
export type ProcessProbeDeps = Pick<Runtime, "fs" | "spawn">;

/** What we can learn about a pid. A zombie has exited (only its parent has not reaped it). */
export type ProcessProbe =
  | { state: "gone" }
  | { state: "zombie" }
  /** `startTime` is null when the system would not tell us (then liveness cannot check reuse). */
  | { state: "running"; startTime: string | null; activity?: Activity };

/**
 * What a running process is doing, for telling a busy daemon from a hung one: stopped
 * by a signal (SIGSTOP, a debugger), running or waiting for a CPU in any of its threads
 * (a daemon's event loop sleeps while a worker thread writes its log), and the CPU time
 * it has used so far (clock ticks, user + system, all threads; null where the system
 * does not say).
 */
export interface Activity {
  stopped: boolean;
  runnable: boolean;
  cpuTicks: number | null;
}

/**
 * Probe `pid`. On Linux reads `/proc/<pid>/stat` (field 22, clock ticks since boot,
 * prefixed with the boot id so a reboot never makes two processes look identical;
 * Deno needs --allow-all for this); elsewhere runs `ps -o stat=,lstart= -p <pid>`.
 * Start-time strings are only comparable on the machine that produced them. `lstart`
 * has one-second resolution, so with `ps` a pid reused within the same second goes
 * unnoticed (procfs ticks are 10 ms).
 */
export async function probeProcess(deps: ProcessProbeDeps, pid: number): Promise<ProcessProbe> {
  if (await hasProcfs(deps)) return probeWithProcfs(deps, pid);
  return probeWithPs(deps, pid);
}

/** The start time of a running `pid`, or null when it is gone, a zombie, or unknown. */
export async function readProcessStart(
  deps: ProcessProbeDeps,
  pid: number,
): Promise<string | null> {
  const probe = await probeProcess(deps, pid);
  return probe.state === "running" ? probe.startTime : null;
}

// Both facts are fixed for the life of this process, so they are read once.
let procfs: Promise<boolean> | undefined;
let bootId: Promise<string> | undefined;

function hasProcfs(deps: ProcessProbeDeps): Promise<boolean> {
  procfs ??= deps.fs.lstat("/proc/self/stat").then(() => true, () => false);
  return procfs;
}

/** Linux probe over procfs; exported so tests can compare it with the `ps` probe. */
export async function probeWithProcfs(deps: ProcessProbeDeps, pid: number): Promise<ProcessProbe> {
  let text: string;
  try {
    text = await deps.fs.readTextFile(`/proc/${pid}/stat`);
  } catch (err) {
    if (err instanceof RuntimeError && err.code === "ENOENT") return { state: "gone" };
    return { state: "running", startTime: null };
  }
  // Field 2 (comm) is parenthesised and may contain spaces or ")": split after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0]; // field 3
  const ticks = fields[19]; // field 22: starttime
  if (state === "Z" || state === "X") return { state: "zombie" };
  const cpu = Number(fields[11]) + Number(fields[12]); // fields 14 and 15: utime, stime
  const stopped = state === "T" || state === "t";
  const activity: Activity = {
    stopped,
    runnable: state === "R" || (!stopped && await anyThreadRunnable(deps, pid)),
    cpuTicks: Number.isFinite(cpu) ? cpu : null,
  };
  if (!ticks || !/^\d+$/.test(ticks)) return { state: "running", startTime: null, activity };
  bootId ??= deps.fs.readTextFile("/proc/sys/kernel/random/boot_id").then(
    (id) => id.trim(),
    () => "",
  );
  return { state: "running", startTime: `linux:${await bootId}:${ticks}`, activity };
}

/** Whether a thread other than the main one is running or waiting for a CPU. */
async function anyThreadRunnable(deps: ProcessProbeDeps, pid: number): Promise<boolean> {
  const tids = await deps.fs.readDir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tids) {
    if (tid === String(pid)) continue;
    const text = await deps.fs.readTextFile(`/proc/${pid}/task/${tid}/stat`).catch(() => "");
    if (text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3) === "R") return true;
  }
  return false;
}

/** Portable probe over `ps` (macOS, BSD); exported so tests can run it on Linux too. */
export async function probeWithPs(deps: ProcessProbeDeps, pid: number): Promise<ProcessProbe> {
  let output: string;
  try {
    const child = deps.spawn("ps", ["-o", "stat=,lstart=", "-p", String(pid)], {
      // A fixed locale keeps lstart's text identical between the writer and the reader.
      env: { LC_ALL: "C", PATH: "/bin:/usr/bin:/sbin:/usr/sbin" },
      stdin: "null",
      stdout: "pipe",
      stderr: "null",
    });
    output = await readAll(child.stdout!);
    await child.exited;
  } catch {
    return { state: "running", startTime: null };
  }
  const line = output.trim();
  if (line === "") return { state: "gone" }; // ps prints nothing (exit 1) for no such pid
  const [stat, ...rest] = line.split(/\s+/);
  if (stat.startsWith("Z")) return { state: "zombie" };
  const activity: Activity = { stopped: stat.startsWith("T"), runnable: stat.startsWith("R"), cpuTicks: null };
  return { state: "running", startTime: rest.length > 0 ? `ps:${rest.join(" ")}` : null, activity };
}

async function readAll(reader: ByteReader): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
