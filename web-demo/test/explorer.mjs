#!/usr/bin/env node
// Clicks through Portico's API explorer (the admin listener's /explorer/ page) in headless Chromium:
//
//   node test/explorer.mjs --admin http://127.0.0.1:9090 [--inventory] [--screenshot out.png]
//   node test/explorer.mjs --admin http://127.0.0.1:9090 --expect-disabled
//
// Portico must run in front of the demo service (and, with --inventory, of portico.test.v1.InventoryService
// from proxy/src/test/proto) with portico.admin.explorer.enabled = true. The page calls Portico's listener, on
// another port than the admin listener: every call is cross-origin. Prints PASS/FAIL lines and
// `N passed, M failed` like the other runners; exits 1 on any failure.

import { parseArgs } from "node:util";
import { forwardConsole, launchChromium } from "./chromium.mjs";
import { createTally } from "./tally.mjs";

const { values: opts } = parseArgs({
  options: {
    admin: { type: "string" },
    inventory: { type: "boolean", default: false },
    "expect-disabled": { type: "boolean", default: false },
    screenshot: { type: "string" },
    "timeout-ms": { type: "string", default: "90000" },
  },
});
if (!opts.admin) {
  console.log("usage: node test/explorer.mjs --admin http://127.0.0.1:PORT [--inventory] [--screenshot file.png] " +
    "| --expect-disabled");
  process.exit(2);
}
const admin = opts.admin.replace(/\/+$/, "");

const { report, done } = createTally();
setTimeout(() => {
  report("explorer", `not finished within ${opts["timeout-ms"]} ms`);
  done();
}, Number(opts["timeout-ms"])).unref();

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

let browser;
try {
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
  const state = forwardConsole(page);

  if (opts["expect-disabled"]) {
    for (const path of ["/explorer/", "/explorer/api/services", "/explorer/explorer.js"]) {
      try {
        const response = await page.goto(admin + path, { timeout: 10_000 });
        check(response.status() === 404, `${path}: HTTP ${response.status()}`);
        check(!(await page.content()).includes("API explorer"), `${path} shows the explorer`);
        report(`explorer-disabled${path}`);
      } catch (e) {
        report(`explorer-disabled${path}`, e);
      }
    }
  } else {
    await runExplorerCases(page, state);
  }
} catch (e) {
  report("explorer/setup", e);
} finally {
  await browser?.close();
}
done();

async function runExplorerCases(page, state) {
  await page.goto(admin + "/explorer/", { timeout: 10_000 });
  await page.waitForSelector("button.method", { timeout: 15_000 });
  check(state.pageErrors === 0, "JavaScript errors while loading the page");

  const method = (full) => `button.method[data-method="${full}"]`;
  /**
   * Waits for the call shown to end; returns its status code ("ok", "not_found", "cancelled", ...). The page
   * clears the code when a call starts, and a click's handler starts the call before click() returns.
   */
  const finalCode = async (timeout = 10_000) => {
    await page.waitForFunction(() => document.querySelector("#status").dataset.code, null, { timeout });
    return page.getAttribute("#status", "data-code");
  };
  const open = async (full) => {
    await page.click(method(full));
    await page.waitForFunction((name) => document.querySelector("#method-name").textContent === name, full,
      { timeout: 5000 });
  };
  const sendJson = async (json) => {
    await page.fill("#editor", JSON.stringify(json, null, 2));
    await page.click("#send");
  };
  const messages = async () => (await page.locator("#messages pre").allTextContents()).map((t) => JSON.parse(t));
  const tableRows = async (id) => page.locator(`#${id} tr`).evaluateAll((rows) =>
    rows.map((r) => [...r.children].map((c) => c.textContent)).filter((cells) => cells.length === 2));

  const DEMO = "portico.demo.v1.DemoService";
  const cases = {
    "explorer/lists-the-demo-service": async () => {
      const target = await page.textContent("#target");
      check(/Calls go from this browser to http:\/\/127\.0\.0\.1:\d+ with Connect JSON/.test(target), target);
      for (const name of ["Echo", "ServerStream", "ClientStream", "BidiStream", "Fail"]) {
        check(await page.locator(method(`${DEMO}/${name}`)).count() === 1, `${name} is not listed`);
      }
      const kind = await page.textContent(`${method(`${DEMO}/ServerStream`)} .badge`);
      check(kind === "server-streaming", `ServerStream kind: ${kind}`);
      check(await page.locator("#notices .notice").count() === 0,
        `notices: ${await page.locator("#notices").textContent()}`);
    },
    "explorer/builds-a-valid-template": async () => {
      await open(`${DEMO}/Echo`);
      const template = JSON.parse(await page.inputValue("#editor"));
      check(JSON.stringify(template) === '{"message":"","payload":"","sleepMs":0}', JSON.stringify(template));
      const fields = await page.locator('details.type[open] tbody tr td:first-child').allTextContents();
      check(fields.join(",") === "message,payload,sleep_ms", `request fields shown: ${fields}`);
      // The template as built is a valid call.
      await page.click("#send");
      check(await finalCode() === "ok", await page.textContent("#status"));
    },
    "explorer/echo-with-metadata": async () => {
      await open(`${DEMO}/Echo`);
      await page.fill("#metadata", "x-echo-explorer: hello");
      await sendJson({ message: "hello from the explorer" });
      check(await finalCode() === "ok", await page.textContent("#status"));
      const [answer] = await messages();
      check(answer.message === "hello from the explorer", JSON.stringify(answer));
      const headers = Object.fromEntries(await tableRows("headers"));
      check(headers["x-echo-explorer"] === "hello", `headers: ${JSON.stringify(headers)}`);
      const trailers = Object.fromEntries(await tableRows("trailers"));
      check(trailers["x-trailer-explorer"] === "hello", `trailers: ${JSON.stringify(trailers)}`);
      const timing = await page.textContent("#timing");
      check(/1 message · headers after [\d.]+ ms · total [\d.]+ ms/.test(timing), timing);
      await page.fill("#metadata", "");
    },
    "explorer/server-stream-live-then-cancel": async () => {
      await open(`${DEMO}/ServerStream`);
      await sendJson({ count: 50, intervalMs: 150, message: "tick" });
      await page.waitForFunction(() => document.querySelectorAll("#messages li").length >= 3, null,
        { timeout: 10_000 });
      check(await page.getAttribute("#status", "data-code") === null, "the stream ended by itself");
      check(!(await page.isDisabled("#cancel")), "Cancel is disabled while the stream runs");
      await page.click("#cancel");
      check(await finalCode() === "cancelled", await page.textContent("#status"));
      const atCancel = await page.locator("#messages li").count();
      await page.waitForTimeout(800);
      const later = await page.locator("#messages li").count();
      check(later === atCancel && later < 50, `messages kept arriving after cancel: ${atCancel} then ${later}`);
      check(await page.isDisabled("#cancel"), "Cancel is still enabled");
    },
    "explorer/server-stream-to-its-end": async () => {
      await open(`${DEMO}/ServerStream`);
      await sendJson({ count: 3, intervalMs: 50, message: "tick" });
      check(await finalCode() === "ok", await page.textContent("#status"));
      const got = await messages();
      check(got.map((m) => m.index ?? 0).join(",") === "0,1,2", JSON.stringify(got));
      if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: false });
    },
    "explorer/failing-call-shows-status-and-details": async () => {
      await open(`${DEMO}/Fail`);
      await sendJson({ code: 5, message: "no such thing", withDetails: true });
      check(await finalCode() === "not_found", await page.textContent("#status"));
      const error = JSON.parse(await page.textContent("#error-body"));
      check(error.code === "not_found" && error.message === "no such thing", JSON.stringify(error));
      const [detail] = error.details ?? [];
      check(detail?.type === "google.rpc.ErrorInfo" && detail.debug?.reason === "DEMO_FAILURE",
        `details: ${JSON.stringify(error.details)}`);
      check(await page.locator("#messages li").count() === 0, "a failed unary call shows a message");
    },
    "explorer/server-stream-ending-with-an-error": async () => {
      await open(`${DEMO}/ServerStream`);
      await sendJson({ count: 2, intervalMs: 10, failCode: 9 });
      check(await finalCode() === "failed_precondition", await page.textContent("#status"));
      check(await page.locator("#messages li").count() === 2, "messages before the error");
    },
    "explorer/client-stream-sends-every-message": async () => {
      await open(`${DEMO}/ClientStream`);
      check(!(await page.isHidden("#streaming-note")), "no note on client streaming");
      const template = JSON.parse(await page.inputValue("#editor"));
      check(Array.isArray(template) && template.length === 1, `template: ${JSON.stringify(template)}`);
      await sendJson([{ message: "a" }, { message: "b" }, { message: "c" }]);
      check(await finalCode() === "ok", await page.textContent("#status"));
      const [answer] = await messages();
      check(answer.message === "a,b,c" && answer.index === 3, JSON.stringify(answer));
    },
    "explorer/bidi-stream-sends-every-message": async () => {
      await open(`${DEMO}/BidiStream`);
      await sendJson([{ message: "x" }, { message: "y" }]);
      check(await finalCode() === "ok", await page.textContent("#status"));
      const got = await messages();
      check(got.map((m) => m.message).join(",") === "x,y", JSON.stringify(got));
    },
    "explorer/timeout-expires": async () => {
      await open(`${DEMO}/Echo`);
      await page.fill("#timeout", "300");
      await sendJson({ message: "slow", sleepMs: 3000 });
      check(await finalCode() === "deadline_exceeded", await page.textContent("#status"));
      await page.fill("#timeout", "");
    },
    "explorer/invalid-json-is-not-sent": async () => {
      await open(`${DEMO}/Echo`);
      await page.fill("#editor", "{ not json");
      await page.click("#send");
      check(await finalCode() === "invalid", await page.textContent("#status"));
      check((await page.textContent("#timing")) === "Nothing was sent.", await page.textContent("#timing"));
    },
  };
  if (opts.inventory) {
    const INVENTORY = "portico.test.v1.InventoryService";
    cases["explorer/any-upstream-enums-maps-nested"] = async () => {
      await open(`${INVENTORY}/PutItem`);
      const template = JSON.parse(await page.inputValue("#editor"));
      check(template.status === "ITEM_STATUS_UNSPECIFIED" && template.dimensions.unit === "UNIT_UNSPECIFIED",
        `template: ${JSON.stringify(template)}`);
      template.itemId = "lamp-1";
      template.status = "ITEM_STATUS_ACTIVE";
      template.stockBySite = { paris: "2", lyon: "3" };
      template.parts = [{ partId: "bulb", quantity: 1 }];
      await sendJson(template);
      check(await finalCode() === "ok", await page.textContent("#status"));
      const [answer] = await messages();
      check(answer.totalStock === "5" && answer.item.itemId === "lamp-1", JSON.stringify(answer));
      check(answer.statusByPart.bulb === "ITEM_STATUS_ACTIVE", JSON.stringify(answer));
    };
    cases["explorer/any-upstream-server-stream"] = async () => {
      await open(`${INVENTORY}/WatchItems`);
      await sendJson({ count: 2, intervalMs: 10, status: "ITEM_STATUS_RETIRED" });
      check(await finalCode() === "ok", await page.textContent("#status"));
      const got = await messages();
      check(got.length === 2 && got.every((i) => i.status === "ITEM_STATUS_RETIRED"), JSON.stringify(got));
    };
  }
  for (const [name, run] of Object.entries(cases)) {
    try {
      await run();
      report(name);
    } catch (e) {
      report(name, e);
    }
  }
  check(state.pageErrors === 0, "uncaught JavaScript errors on the page");
}
