#!/usr/bin/env node
// Runs the browser client cases (test/page/clients.ts, bundled to dist/clients.js) in headless
// Chromium against a running Portico:
//
//   node web-demo/test/browser-clients.mjs --target http://127.0.0.1:8080 [--only a,b] [--timeout-ms 60000]
//
// `--page websocket` runs the gRPC-Web over WebSocket cases instead (test/page/websocket.ts, bundled to
// dist/websocket.js); their other-origin/* cases run in a second page loaded from http://localhost:<port>,
// an origin Portico is configured to refuse, while the others run from http://127.0.0.1:<port>
// (`--page-port N` fixes the port, so that Portico can be told the allowed origin).
//
// The test page comes from a tiny static server of our own on another 127.0.0.1 port, so the
// page's origin differs from the target's and CORS (preflights, exposed headers) is exercised
// exactly as a real web app would. Prints `PASS name` / `FAIL name: reason` per case, then
// `N passed, M failed`; exits 1 on any failure, including a browser or page that won't start.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseRunnerOptions } from "./runner-options.mjs";
import { checkChromium, forwardConsole, launchChromium } from "./chromium.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const { target, totalTimeoutMs, only, verbose, page: pageName, pagePort } = parseRunnerOptions("browser-clients.mjs");
const PAGES = ["clients", "websocket"];
/** Cases with this prefix run in a page of a second origin. */
const OTHER_ORIGIN = "other-origin/";

let passed = 0;
let failed = 0;
let finished = false;
let browser = null;
let server = null;
const pending = new Set(); // cases not yet reported, so a timeout can report them
let current = null; // the case running in the page now

// After finish() starts, in-flight cases die with the browser: they were already reported.
function pass(name, ms) {
  if (finished) return;
  pending.delete(name);
  passed++;
  console.log(`PASS ${name}` + (verbose ? ` (${Math.round(ms)} ms)` : ""));
}

function fail(name, reason) {
  if (finished) return;
  pending.delete(name);
  failed++;
  console.log(`FAIL ${name}: ${String(reason).replace(/\s+/g, " ").trim()}`);
}

async function finish(code) {
  if (finished) return;
  finished = true;
  // Whatever happens, don't let cleanup itself hang the process.
  const closing = Promise.allSettled([browser?.close(), new Promise((r) => (server ? server.close(r) : r()))]);
  await Promise.race([closing, new Promise((r) => setTimeout(r, 3000))]);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed > 0 ? 1 : 0));
}

// The hard stop: nothing in here may hang CI.
const hardStop = setTimeout(() => {
  for (const name of [...pending]) {
    fail(name, name === current ? `not finished within the total timeout of ${totalTimeoutMs} ms` : `not run: total timeout of ${totalTimeoutMs} ms reached`);
  }
  if (passed + failed === 0) fail("harness", `nothing finished within ${totalTimeoutMs} ms`);
  finish(1);
}, totalTimeoutMs);

function serveStatic() {
  const html = pageName === "clients" ? "test/page/index.html" : `test/page/${pageName}.html`;
  const files = {
    "/": [html, "text/html; charset=utf-8"],
    "/index.html": [html, "text/html; charset=utf-8"],
    [`/${pageName}.js`]: [`dist/${pageName}.js`, "text/javascript; charset=utf-8"],
    [`/${pageName}.js.map`]: [`dist/${pageName}.js.map`, "application/json"],
  };
  const srv = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const entry = files[path];
    if (!entry) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    try {
      const body = await readFile(join(ROOT, entry[0]));
      res.writeHead(200, { "content-type": entry[1], "cache-control": "no-store" }).end(body);
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(e));
    }
  });
  return new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(pagePort, "127.0.0.1", () => resolve(srv));
  });
}

/** Opens the test page at `url` and waits for its bundle; null (after reporting) if it does not load. */
async function openPage(url) {
  const page = await browser.newPage();
  const pageState = forwardConsole(page, verbose);
  await page.goto(url, { timeout: 15_000 });
  try {
    await page.waitForFunction(() => window.__portico !== undefined, null, { timeout: 10_000 });
  } catch {
    fail("harness", "test page did not load its bundle (window.__portico missing; see console: lines)");
    return null;
  }
  if (pageState.pageErrors > 0) {
    fail("harness", "JavaScript errors while loading the test page");
    return null;
  }
  return page;
}

async function main() {
  if (!PAGES.includes(pageName)) {
    fail("harness", `unknown --page ${pageName}; known: ${PAGES.join(", ")}`);
    return finish(1);
  }
  if (!existsSync(join(ROOT, `dist/${pageName}.js`))) {
    fail("harness", `dist/${pageName}.js missing: run \`npm ci && npm run build\` in web-demo/ first`);
    return finish(1);
  }
  checkChromium();

  server = await serveStatic();
  const port = server.address().port;
  const pageUrl = `http://127.0.0.1:${port}/`;
  console.log(`# page ${pageUrl} -> target ${target}`);

  browser = await launchChromium();
  const page = await openPage(pageUrl);
  if (page === null) return finish(1);
  let otherPage = null;

  const all = await page.evaluate(() => window.__portico.cases);
  const names = only ?? all;
  names.forEach((n) => pending.add(n));
  for (const name of names) {
    if (finished) break;
    if (!all.includes(name)) {
      fail(name, `unknown case; known cases: ${all.join(", ")}`);
      continue;
    }
    current = name;
    try {
      let runIn = page;
      if (name.startsWith(OTHER_ORIGIN)) {
        otherPage ??= await openPage(`http://localhost:${port}/`);
        if (otherPage === null) return finish(1);
        runIn = otherPage;
      }
      const r = await runIn.evaluate(([n, t]) => window.__portico.run(n, t), [name, target]);
      // Let the case's console messages (delivered asynchronously) print before its result line.
      await new Promise((res) => setTimeout(res, 30));
      if (r.ok) pass(name, r.ms);
      else fail(name, r.reason);
    } catch (e) {
      fail(name, `page.evaluate: ${e.message}`);
    }
  }
  clearTimeout(hardStop);
  await finish();
}

main().catch((e) => {
  const reason = e?.message ?? String(e);
  for (const name of [...pending]) fail(name, `not run: ${reason}`);
  fail("harness", reason);
  finish(1);
});
