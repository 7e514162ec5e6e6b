#!/usr/bin/env node
// The one test command (`npm test`): type check, lint, compile, then the whole suite on
// Deno and on Bun. The Bun pass drives the freshly compiled binary (SHOAL_BIN); the Deno
// pass runs shoal itself on Deno (src/main.ts) so the Deno adapter is exercised end to
// end. Prints each runtime's pass/fail counts; exits non-zero when anything fails.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const bin = (name) => resolve(root, "node_modules/.bin", name);
const only = process.argv.slice(2); // optional test files, for local runs

function run(label, command, args, env = {}) {
  return new Promise((done) => {
    const started = Date.now();
    process.stdout.write(`\n=== ${label}: ${[command, ...args].join(" ")}\n`);
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("close", (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      done({ label, ok: code === 0, code: code ?? signal, output, seconds });
    });
  });
}

function counts(result) {
  const text = result.output;
  const deno = /ok|FAILED/.test(text) && /(\d+) passed \| (\d+) failed(?: \| (\d+) ignored)?/.exec(text);
  if (deno) return { pass: +deno[1], fail: +deno[2], skip: +(deno[3] ?? 0) };
  const pass = /^\s*(\d+) pass$/m.exec(text);
  const fail = /^\s*(\d+) fail$/m.exec(text);
  const skip = /^\s*(\d+) skip$/m.exec(text);
  if (pass || fail) return { pass: +(pass?.[1] ?? 0), fail: +(fail?.[1] ?? 0), skip: +(skip?.[1] ?? 0) };
  return null;
}

const results = [];
const step = async (...args) => {
  const result = await run(...args);
  results.push(result);
  return result;
};

const files = only.length ? only : ["tests/"];
await step("typecheck", bin("deno"), ["check", "mod.ts", "src/", "tests/"]);
await step("lint", bin("deno"), ["lint"]);
const build = await step("compile", resolve(root, "compile.sh"), []);
const shoalBin = resolve(root, "dist/shoal");
if (build.ok && existsSync(shoalBin)) {
  await step("deno", bin("deno"), ["test", "-A", "--no-check", ...files], { SHOAL_TEST_RUNTIME: "deno" });
  await step("bun", bin("bun"), ["test", "--timeout", "120000", ...files.map((f) => `./${f}`)], {
    SHOAL_BIN: shoalBin,
  });
}

console.log("\n=== summary");
let failed = !build.ok;
for (const r of results) {
  const c = counts(r);
  const detail = c && (r.label === "deno" || r.label === "bun")
    ? `${c.pass} passed, ${c.fail} failed, ${c.skip} skipped`
    : r.ok ? "ok" : `exit ${r.code}`;
  console.log(`${r.label.padEnd(10)} ${r.ok ? "PASS" : "FAIL"}  ${detail}  (${r.seconds} s)`);
  if (!r.ok) failed = true;
}
process.exit(failed ? 1 : 0);
