import assert from "node:assert/strict";
import { test } from "node:test";
import {
  forwarded,
  Harness,
  notification,
  recipients,
  request,
  result,
  toClient,
  toUpstream,
} from "./_mcp_harness.ts";

const task = (taskId: string, status = "working") => ({
  taskId,
  status,
  ttl: 60000,
  createdAt: "2025-11-25T00:00:00Z",
  lastUpdatedAt: "2025-11-25T00:00:00Z",
});

function withTasks(): { h: Harness; progressA: number } {
  const h = new Harness();
  h.add(1, 2);
  h.initialize(1);
  h.initialize(2);
  const a = forwarded(
    h,
    1,
    request(1, "tools/call", { name: "long", task: { ttl: 60000 }, _meta: { progressToken: 1 } }),
  );
  const created = h.server(result(a.id, { task: task("A") }));
  assert.deepEqual(toClient(created, 1), [result(1, { task: task("A") })]);
  const b = forwarded(h, 2, request(1, "tools/call", { name: "long", task: { ttl: 60000 } }));
  h.server(result(b.id, { task: task("B") }));
  return { h, progressA: a.params._meta.progressToken };
}

test("tasks/list shows each host only its own tasks", { timeout: 5000 }, () => {
  const { h } = withTasks();
  const list = forwarded(h, 2, request(5, "tasks/list"));
  const out = h.server(result(list.id, { tasks: [task("A"), task("B"), task("orphan")] }));
  assert.deepEqual(toClient(out, 2)[0].result.tasks.map((t: { taskId: string }) => t.taskId), [
    "B",
  ]);
});

test("task status notifications go to the owner only", { timeout: 5000 }, () => {
  const { h } = withTasks();
  assert.deepEqual(
    recipients(h.server(notification("notifications/tasks/status", task("A", "input_required")))),
    [1],
  );
  assert.deepEqual(
    recipients(h.server(notification("notifications/tasks/status", task("B", "completed")))),
    [2],
  );
  assert.deepEqual(
    recipients(h.server(notification("notifications/tasks/status", task("zzz")))),
    [],
  );
});

test("tasks/get, result and cancel are for the owner only", { timeout: 5000 }, () => {
  const { h } = withTasks();
  for (const method of ["tasks/get", "tasks/result", "tasks/cancel"]) {
    const refused = h.send(2, request(7, method, { taskId: "A" }));
    assert.deepEqual(toUpstream(refused), []);
    assert.equal(toClient(refused, 2)[0].error.code, -32602);
    const sent = forwarded(h, 1, request(7, method, { taskId: "A" }));
    assert.equal(sent.params.taskId, "A");
    h.server(result(sent.id, task("A")));
  }
  assert.equal(
    toUpstream(h.send(2, request(8, "tasks/get", { taskId: "unknown-to-router" }))).length,
    1,
  );
});

test(
  "progress of a task outlives its creating request until a terminal status",
  { timeout: 5000 },
  () => {
    const { h, progressA } = withTasks();
    const progress = (n: number) =>
      h.server(notification("notifications/progress", { progressToken: progressA, progress: n }));
    assert.strictEqual(toClient(progress(1), 1)[0].params.progressToken, 1);
    h.server(notification("notifications/tasks/status", task("A", "completed")));
    assert.deepEqual(recipients(progress(2)), []);
    assert.equal(h.router.snapshot().lanes[0].progressTokens, 0);
  },
);

test("a departing owner's unfinished tasks are cancelled upstream", { timeout: 5000 }, () => {
  const { h } = withTasks();
  h.server(notification("notifications/tasks/status", task("B", "failed")));
  const out = h.remove(2);
  assert.deepEqual(toUpstream(out), [], "B already finished");
  const cancels = toUpstream(h.remove(1));
  assert.deepEqual(cancels.map((m) => [m.method, m.params.taskId]), [["tasks/cancel", "A"]]);
  assert.deepEqual(recipients(h.server(result(cancels[0].id, task("A", "cancelled")))), []);
  const lane = h.router.snapshot().lanes[0];
  assert.equal(lane.tasks, 0);
  assert.equal(lane.pending, 0);
  assert.equal(lane.progressTokens, 0);
});
