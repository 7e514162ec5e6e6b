import { test } from "node:test";
import assert from "node:assert/strict";
import { admit, type AdmissionContext } from "../src/daemon/admission.ts";
import { PROTOCOL } from "../src/version.ts";
import type { ClientHello } from "../src/wire/hello.ts";

const hello = (over: Partial<ClientHello> = {}): ClientHello => ({
  protocol: PROTOCOL,
  version: "1",
  build: "build-2",
  token: "t",
  role: "proxy",
  pid: 1,
  key: "k",
  ...over,
});
const ctx = (over: Partial<AdmissionContext> = {}): AdmissionContext => ({
  token: "t",
  build: "build-2",
  phase: "ready",
  clients: 0,
  ...over,
});

test("wrong token and other protocols are refused, whatever the role", { timeout: 5000 }, () => {
  assert.deepEqual(admit(hello({ token: "x" }), ctx()), { kind: "refuse", reason: "wrong token" });
  assert.deepEqual(admit(hello({ token: "x", role: "control" }), ctx()), { kind: "refuse", reason: "wrong token" });
  assert.equal(admit(hello({ protocol: PROTOCOL + 1 }), ctx()).kind, "refuse");
});

test("control connections are served in every phase and from any build", { timeout: 5000 }, () => {
  for (const phase of ["ready", "draining", "stopping"] as const) {
    assert.deepEqual(admit(hello({ role: "control", build: "build-9" }), ctx({ phase })), { kind: "control" });
  }
});

test("a newer build replaces an idle daemon and drains a busy one; an older proxy is served", { timeout: 5000 }, () => {
  assert.deepEqual(admit(hello({ build: "build-3" }), ctx()), { kind: "replace" });
  assert.deepEqual(admit(hello({ build: "build-3" }), ctx({ clients: 2 })), { kind: "drain" });
  assert.deepEqual(admit(hello({ build: "build-1" }), ctx({ clients: 2 })), { kind: "attach" });
  assert.deepEqual(admit(hello({ build: "build-10" }), ctx({ build: "build-9" })), { kind: "replace" });
  assert.deepEqual(admit(hello(), ctx()), { kind: "attach" });
});

test("a leaving daemon sends proxies away", { timeout: 5000 }, () => {
  assert.deepEqual(admit(hello(), ctx({ phase: "draining" })), { kind: "away", state: "draining" });
  assert.deepEqual(admit(hello(), ctx({ phase: "stopping" })), { kind: "away", state: "replaced" });
});
