import assert from "node:assert/strict";
import { test } from "node:test";
import {
  forwarded,
  Harness,
  logEvents,
  notification,
  recipients,
  request,
  result,
  toClient,
  toUpstream,
} from "./_mcp_harness.ts";

const ALL = { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } };
const sampling = (id: number | string, extra: object = {}) =>
  request(id, "sampling/createMessage", { messages: [], maxTokens: 10, ...extra });

function setup(capabilities: Record<number, object>): Harness {
  const h = new Harness();
  for (const [client, caps] of Object.entries(capabilities)) {
    h.add(Number(client));
    h.initialize(Number(client), { capabilities: caps });
  }
  return h;
}

test("a server ping is answered by the router and reaches no host", { timeout: 5000 }, () => {
  const h = setup({ 1: ALL, 2: ALL });
  const out = h.server(request(41, "ping"));
  assert.deepEqual(toUpstream(out), [result(41, {})]);
  assert.deepEqual(recipients(out), []);
});

test("the host owning the only in-flight request gets it; the reply keeps the server's id", {
  timeout: 5000,
}, () => {
  const h = setup({ 1: ALL, 2: ALL });
  h.send(2, request(1, "prompts/list")); // host 2 most recently active, but idle after:
  h.server(result(toUpstream(h.all).at(-1).id));
  forwarded(h, 1, request(5, "tools/call", { name: "summarize" }));
  h.send(2, request(2, "ping")); // host 2 is now the most recently active…
  h.server(result(toUpstream(h.all).at(-1).id)); // …but has nothing in flight
  const out = h.server(sampling("s-1"));
  assert.deepEqual(recipients(out), [1]);
  const [asked] = toClient(out, 1);
  assert.equal(asked.method, "sampling/createMessage");
  const reply = h.send(
    1,
    result(asked.id, { role: "assistant", content: { type: "text", text: "hi" }, model: "m" }),
  );
  const [back] = toUpstream(reply);
  assert.strictEqual(back.id, "s-1");
  assert.equal(back.result.model, "m");
  assert.equal(h.router.snapshot().totals.serverRequestsServed, 1);
});

test(
  "with several busy hosts the most recently active capable host gets it",
  { timeout: 5000 },
  () => {
    const h = setup({ 1: ALL, 2: ALL, 3: {} });
    forwarded(h, 1, request(1, "tools/call"));
    forwarded(h, 2, request(1, "tools/call"));
    forwarded(h, 3, request(1, "tools/call")); // most recent, but declared nothing
    assert.deepEqual(recipients(h.server(sampling(1))), [2]);
    h.send(1, request(2, "ping"));
    assert.deepEqual(recipients(h.server(sampling(2))), [1]);
  },
);

test("an only-busy host without the capability is skipped", { timeout: 5000 }, () => {
  const h = setup({ 1: {}, 2: { roots: {} } });
  forwarded(h, 1, request(1, "tools/call"));
  assert.deepEqual(recipients(h.server(request("r", "roots/list"))), [2]);
});

test("no capable host: sampling gets -32601, elicitation is declined, roots are empty", {
  timeout: 5000,
}, () => {
  const h = setup({ 1: {} });
  const out = h.server(sampling(1));
  assert.deepEqual(recipients(out), []);
  const [err] = toUpstream(out);
  assert.strictEqual(err.id, 1);
  assert.equal(err.error.code, -32601);
  assert.ok(logEvents(out).includes("server_request_unroutable"));
  const declined = toUpstream(
    h.server(request("e", "elicitation/create", { message: "x", requestedSchema: {} })),
  );
  assert.deepEqual(declined, [result("e", { action: "decline" })]);
  const roots = toUpstream(h.server(request(3, "roots/list")));
  assert.deepEqual(roots, [result(3, { roots: [] })]);
});

test("capability details: sampling tools, elicitation modes", { timeout: 5000 }, () => {
  const h = setup({
    1: { sampling: {}, elicitation: {} },
    2: { sampling: { tools: {} }, elicitation: { url: {} } },
  });
  h.send(1, request(1, "ping"));
  assert.deepEqual(
    recipients(h.server(sampling(1, { tools: [] }))),
    [2],
    "tools need sampling.tools",
  );
  h.send(1, request(2, "ping"));
  assert.deepEqual(recipients(h.server(sampling(2))), [1]);
  h.send(2, request(3, "ping"));
  const form = request(3, "elicitation/create", { message: "m", requestedSchema: {} });
  assert.deepEqual(recipients(h.server(form)), [1], "{} means form; url-only host cannot do forms");
  const url = request(4, "elicitation/create", {
    mode: "url",
    message: "m",
    url: "https://x",
    elicitationId: "e",
  });
  assert.deepEqual(recipients(h.server(url)), [2]);
});

test(
  "a host disconnecting while holding a server request: -32000 to the server",
  { timeout: 5000 },
  () => {
    const h = setup({ 1: ALL, 2: ALL });
    forwarded(h, 1, request(1, "tools/call"));
    const [asked] = toClient(h.server(sampling("keep-me")), 1);
    assert.equal(asked.method, "sampling/createMessage");
    const out = h.remove(1);
    const errors = toUpstream(out).filter((m) => m.error !== undefined);
    assert.equal(errors.length, 1);
    assert.strictEqual(errors[0].id, "keep-me");
    assert.equal(errors[0].error.code, -32000);
    assert.match(errors[0].error.message, /host left/);
    assert.equal(h.router.snapshot().lanes[0].serverRequests, 0);
  },
);

test("host replies to unknown ids are dropped; each host sees fresh ids", { timeout: 5000 }, () => {
  const h = setup({ 1: ALL, 2: ALL });
  forwarded(h, 1, request(1, "tools/call"));
  const first = toClient(h.server(sampling(0)), 1)[0];
  const second = toClient(h.server(sampling(0 + 1)), 1)[0];
  assert.notEqual(first.id, second.id);
  assert.deepEqual(toUpstream(h.send(1, result(999))), []);
  assert.deepEqual(
    toUpstream(h.send(2, result(first.id))),
    [],
    "host 2 cannot answer host 1's request",
  );
  assert.strictEqual(toUpstream(h.send(1, result(first.id)))[0].id, 0);
  assert.deepEqual(toUpstream(h.send(1, result(first.id))), [], "answered once");
});

test(
  "URL elicitation completion goes to the host that got the elicitation",
  { timeout: 5000 },
  () => {
    const h = setup({ 1: ALL, 2: ALL });
    forwarded(h, 2, request(1, "tools/call"));
    const url = request(9, "elicitation/create", {
      mode: "url",
      message: "Sign in",
      url: "https://x",
      elicitationId: "el-1",
    });
    assert.deepEqual(recipients(h.server(url)), [2]);
    const complete = notification("notifications/elicitation/complete", { elicitationId: "el-1" });
    assert.deepEqual(recipients(h.server(complete)), [2]);
    assert.deepEqual(recipients(h.server(complete)), [], "delivered once");
  },
);

test("a -32042 URL-elicitation-required error routes its completion to that host", {
  timeout: 5000,
}, () => {
  const h = setup({ 1: ALL, 2: ALL });
  const call = forwarded(h, 1, request(1, "tools/call", { name: "needs-auth" }));
  const error = {
    code: -32042,
    message: "URL elicitation required",
    data: {
      elicitations: [{ mode: "url", elicitationId: "auth-7", url: "https://a", message: "m" }],
    },
  };
  assert.equal(toClient(h.server({ jsonrpc: "2.0", id: call.id, error }), 1)[0].error.code, -32042);
  h.send(2, request(1, "ping"));
  const complete = notification("notifications/elicitation/complete", { elicitationId: "auth-7" });
  assert.deepEqual(recipients(h.server(complete)), [1]);
});

test("a request tied to a task goes to the task's owner", { timeout: 5000 }, () => {
  const h = setup({ 1: ALL, 2: ALL });
  const call = forwarded(h, 1, request(1, "tools/call", { name: "t", task: { ttl: 60000 } }));
  h.server(
    result(call.id, {
      task: { taskId: "task-1", status: "working", ttl: 60000, createdAt: "", lastUpdatedAt: "" },
    }),
  );
  forwarded(h, 2, request(1, "tools/call"));
  const related = sampling(3, {
    _meta: { "io.modelcontextprotocol/related-task": { taskId: "task-1" } },
  });
  assert.deepEqual(recipients(h.server(related)), [1]);
});

test(
  "tasks/* sent to a client go to the host that created that client task",
  { timeout: 5000 },
  () => {
    const h = setup({ 1: { ...ALL, tasks: {} }, 2: { ...ALL, tasks: {} } });
    forwarded(h, 1, request(1, "tools/call"));
    const [asked] = toClient(h.server(sampling("s", { task: { ttl: 1000 } })), 1);
    h.send(1, result(asked.id, { task: { taskId: "ct-1", status: "working" } }));
    h.send(2, request(9, "ping"));
    assert.deepEqual(recipients(h.server(request("g", "tasks/get", { taskId: "ct-1" }))), [1]);
    const unknown = h.server(request("u", "tasks/get", { taskId: "nope" }));
    assert.equal(toUpstream(unknown)[0].error.code, -32601);
  },
);

test("server requests on a modern lane are refused (2026-07-28 servers must not send them)", {
  timeout: 5000,
}, () => {
  const h = new Harness();
  h.add(1);
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": { sampling: {} },
  };
  forwarded(h, 1, request(1, "tools/call", { name: "x", _meta: meta }));
  const out = h.server(sampling(5));
  assert.deepEqual(recipients(out), []);
  assert.equal(toUpstream(out)[0].error.code, -32601);
});
