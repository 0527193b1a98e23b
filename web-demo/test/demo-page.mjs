#!/usr/bin/env node
// Clicks through the demo page (static/) as served by Portico's demo mode, same origin:
//
//   node web-demo/test/demo-page.mjs --target http://127.0.0.1:8080 [--screenshot demo.png]
//
// Needs no build (the page has no dependencies), only playwright-core and Chromium. Prints
// PASS/FAIL lines and `N passed, M failed` like browser-clients.mjs; exits 1 on any failure.

import { parseArgs } from "node:util";
import { forwardConsole, launchChromium } from "./chromium.mjs";

const { values: opts } = parseArgs({
  options: {
    target: { type: "string" },
    screenshot: { type: "string" },
    "timeout-ms": { type: "string", default: "30000" },
  },
});
if (!opts.target) {
  console.log("usage: node test/demo-page.mjs --target http://127.0.0.1:PORT [--screenshot file.png]");
  process.exit(2);
}
const target = opts.target.replace(/\/+$/, "");

let passed = 0;
let failed = 0;
const report = (name, err) => {
  if (err === undefined) {
    passed++;
    console.log(`PASS ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${String(err?.message ?? err).split("\n")[0]}`);
  }
};
const done = () => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
};
setTimeout(() => {
  report("demo-page", `not finished within ${opts["timeout-ms"]} ms`);
  done();
}, Number(opts["timeout-ms"]));

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

let browser;
try {
  browser = await launchChromium();
  const page = await browser.newPage();
  const state = forwardConsole(page);
  await page.goto(target + "/", { timeout: 10_000 });
  await page.waitForSelector("#echo-btn", { timeout: 5000 });
  check(state.pageErrors === 0, "JavaScript errors while loading the page");

  // Waits until a status line holds a final result (a "NAME (code)" line).
  const finalStatus = async (id) => {
    await page.waitForFunction((sel) => /\(\d+\)/.test(document.querySelector(sel).textContent), `#${id}`, { timeout: 8000 });
    return page.textContent(`#${id}`);
  };

  const cases = {
    "demo-page/echo": async () => {
      await page.fill("#echo-text", "demo ✓ echo");
      await page.click("#echo-btn");
      const status = await finalStatus("echo-status");
      check(status.startsWith("OK (0)"), `status line: ${status}`);
      const out = await page.textContent("#echo-out");
      check(out.includes('message: "demo ✓ echo"'), `output: ${out}`);
      // The payload is the text's UTF-8 bytes: 13 of them ("✓" takes three).
      check(out.includes("payload: 13 bytes"), `output: ${out}`);
    },
    "demo-page/stream": async () => {
      await page.click("#stream-btn");
      // The first item must show up while the stream is still running (300 ms apart).
      await page.waitForSelector("#stream-out li", { timeout: 3000 });
      const early = await page.locator("#stream-out li").count();
      check(early < 10, "all 10 messages arrived at once: the response was buffered, not streamed");
      const status = await finalStatus("stream-status");
      check(status.startsWith("OK (0)"), `status line: ${status}`);
      const items = await page.locator("#stream-out li").allTextContents();
      check(items.length === 10, `expected 10 messages, got ${items.length}`);
      items.forEach((t, i) => check(t.startsWith(`index ${i} at`) && t.includes("8 bytes"), `item ${i}: ${t}`));
    },
    "demo-page/fail": async () => {
      await page.click("#fail-btn");
      const status = await finalStatus("fail-status");
      check(status.startsWith("NOT_FOUND (5): nöt føund ✓ (asked for by the demo page)"), `status line: ${status}`);
    },
  };
  for (const [name, fn] of Object.entries(cases)) {
    try {
      await fn();
      report(name);
    } catch (e) {
      report(name, e);
    }
  }
  if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
} catch (e) {
  report("demo-page", e);
} finally {
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 3000))]);
}
done();
