/**
 * Who may come in: the daemon's verdict on a parsed hello. Pure, so every rule is a
 * unit test: wrong token or protocol → refused (and logged); control connections are
 * always served; a newer build takes the key over (replace when idle, else drain); an
 * older proxy is served as it is, so hosts converge on new daemons after an upgrade.
 */
import { isNewerBuild, PROTOCOL } from "../version.ts";
import type { ClientHello } from "../wire/hello.ts";

export interface AdmissionContext {
  token: string;
  build: string;
  phase: "ready" | "draining" | "stopping";
  clients: number;
}

export type Admission =
  | { kind: "refuse"; reason: string }
  | { kind: "control" }
  | { kind: "attach" }
  /** Not now: this daemon is leaving (the proxy goes to another one). */
  | { kind: "away"; state: "draining" | "replaced" }
  /** A newer build arrived: step aside at once (idle) or drain (with clients). */
  | { kind: "replace" }
  | { kind: "drain" };

export function admit(hello: ClientHello, ctx: AdmissionContext): Admission {
  if (hello.token !== ctx.token) return { kind: "refuse", reason: "wrong token" };
  if (hello.protocol !== PROTOCOL) {
    return { kind: "refuse", reason: `wire protocol ${hello.protocol} is not ${PROTOCOL}` };
  }
  if (hello.role === "control") return { kind: "control" };
  if (ctx.phase !== "ready") return { kind: "away", state: ctx.phase === "draining" ? "draining" : "replaced" };
  if (isNewerBuild(hello.build, ctx.build)) return { kind: ctx.clients === 0 ? "replace" : "drain" };
  return { kind: "attach" };
}
