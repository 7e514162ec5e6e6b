/**
 * Tasks (2025-11-25, experimental): a task belongs to the host whose request created
 * it. Only that host sees it in `tasks/list`, gets its `notifications/tasks/status`,
 * and may `tasks/get`, `tasks/result` or `tasks/cancel` it — to anybody else it does
 * not exist (−32602, what the spec prescribes for an unknown task id). A departing
 * owner's unfinished tasks are cancelled upstream, like its in-flight requests.
 */
import { ErrorCode } from "../rpc/error_codes.ts";
import {
  isJsonObject,
  type JsonObject,
  type JsonRpcNotification,
  type JsonRpcRequest,
  objectParams,
} from "../rpc/message.ts";
import { errorResponse } from "../rpc/responses.ts";
import type { BatchCollector } from "./batch.ts";
import type { Emitter } from "./emitter.ts";
import { sendOwnRequest } from "./forward.ts";
import type { Lane } from "./lane.ts";
import type { PendingRequest } from "./pending.ts";
import type { Session } from "./session.ts";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** True for the methods that name one task and are restricted to its owner. */
export function isTaskMethod(method: string): boolean {
  return method === "tasks/get" || method === "tasks/result" || method === "tasks/cancel";
}

/** Refuse a task request from a host that does not own the task; true when refused. */
export function refuseForeignTask(
  session: Session,
  lane: Lane,
  message: JsonRpcRequest,
  out: Emitter,
  batch: BatchCollector | undefined,
): boolean {
  const taskId = objectParams(message)?.taskId;
  if (typeof taskId !== "string") return false;
  const record = lane.tasks.get(taskId);
  if (record === undefined || record.owner === session) return false;
  out.reply(
    session,
    batch,
    errorResponse(
      message.id,
      ErrorCode.InvalidParams,
      `Invalid params: unknown task ${JSON.stringify(taskId)}`,
    ),
  );
  return true;
}

/**
 * A forwarded request's result: record a created task (CreateTaskResult), filter a
 * task list, notice a terminal status. Returns true when the request's progress
 * token must stay mapped (it lives as long as the task).
 */
export function onTaskResult(pending: PendingRequest, result: unknown): boolean {
  if (!isJsonObject(result)) return false;
  const lane = pending.lane;
  const owner = pending.session as Session;
  if (pending.method === "tasks/list") {
    if (Array.isArray(result.tasks)) {
      result.tasks = result.tasks.filter((task) =>
        isJsonObject(task) && lane.tasks.get(task.taskId as string)?.owner === owner
      );
    }
    return false;
  }
  if (pending.method === "tasks/get" || pending.method === "tasks/cancel") {
    noteStatus(lane, result);
    return false;
  }
  if (!pending.taskAugmented) return false;
  const task = result.task;
  if (!isJsonObject(task) || typeof task.taskId !== "string") return false;
  const terminal = TERMINAL.has(task.status as string);
  const keep = !terminal && pending.progressToken !== undefined;
  // A server reusing a task id replaces the old record; its token must not leak.
  const previous = lane.tasks.get(task.taskId)?.progress;
  if (previous !== undefined) lane.progress.delete(previous.upstreamId);
  lane.tasks.set(task.taskId, { owner, progress: keep ? pending : undefined, terminal });
  return keep;
}

/** `notifications/tasks/status`: to the owner only; a terminal status ends its progress. */
export function deliverTaskStatus(lane: Lane, message: JsonRpcNotification, out: Emitter): boolean {
  const params = objectParams(message);
  const taskId = params?.taskId;
  const record = typeof taskId === "string" ? lane.tasks.get(taskId) : undefined;
  if (record === undefined || params === undefined) return false;
  out.client(record.owner, message);
  noteStatus(lane, params);
  return true;
}

/** A departing host: cancel its unfinished tasks upstream and forget them all. */
export function releaseTasks(session: Session, lane: Lane, out: Emitter): void {
  for (const [taskId, record] of lane.tasks) {
    if (record.owner !== session) continue;
    lane.tasks.delete(taskId);
    if (record.progress !== undefined) lane.progress.delete(record.progress.upstreamId);
    if (!record.terminal && lane.phase !== "down") {
      sendOwnRequest(lane, "tasks/cancel", { taskId }, "internal", out);
    }
  }
  for (const [taskId, owner] of lane.clientTasks) {
    if (owner === session) lane.clientTasks.delete(taskId);
  }
}

function noteStatus(lane: Lane, task: JsonObject): void {
  const record = typeof task.taskId === "string" ? lane.tasks.get(task.taskId) : undefined;
  if (record === undefined || !TERMINAL.has(task.status as string)) return;
  record.terminal = true;
  if (record.progress !== undefined) {
    lane.progress.delete(record.progress.upstreamId);
    record.progress = undefined;
  }
}
