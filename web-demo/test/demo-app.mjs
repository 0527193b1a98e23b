#!/usr/bin/env node
// Clicks through the demo app (site/, as Portico serves it in demo mode from its own port) in headless
// Chromium, for every client and transport it offers, and checks what the page shows:
//
//   node test/demo-app.mjs --app http://127.0.0.1:8081 [--screenshots DIR] [--docs-screenshot FILE]
//                          [--only grpcweb-text,connect-json] [--timeout-ms 180000]
//
// The app calls Portico at the address its /portico.json gives, another origin: the script counts the
// CORS preflights Chromium sends (over the DevTools protocol) and fails when there are none. Needs the
// real demo service behind Portico (its Stats method shows that a cancelled stream stopped upstream).
// Prints PASS/FAIL per case and `N passed, M failed`; exits 1 on any failure.

import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { forwardConsole, launchChromium } from "./chromium.mjs";
import { createTally } from "./tally.mjs";

const CLIENTS = ["grpcweb-text", "grpcweb-binary", "connect-json", "connect-binary", "connect-grpcweb"];
// The official grpc-web client reads binary responses only once they end (XHR arraybuffer).
const BUFFERS_STREAMS = new Set(["grpcweb-binary"]);
// Connect transports with useHttpGet: Echo (NO_SIDE_EFFECTS) goes as GET ?connect=v1&encoding=…
const GET_ENCODING = { "connect-json": "json", "connect-binary": "proto" };

const { values: opts } = parseArgs({
  options: {
    app: { type: "string" },
    screenshots: { type: "string" },
    "docs-screenshot": { type: "string" },
    only: { type: "string" },
    "timeout-ms": { type: "string", default: "180000" },
  },
});
if (!opts.app) {
  console.log("usage: node test/demo-app.mjs --app http://127.0.0.1:PORT [--screenshots DIR] [--docs-screenshot FILE] [--only a,b]");
  process.exit(2);
}
const appUrl = opts.app.replace(/\/+$/, "") + "/";
const clients = opts.only ? opts.only.split(",") : CLIENTS;

const { report, done } = createTally();
const hardStop = setTimeout(() => {
  report("demo-app", `not finished within ${opts["timeout-ms"]} ms`);
  done();
}, Number(opts["timeout-ms"]));

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until a status line holds a finished call's result; returns its text. */
async function finalStatus(page, id, timeout = 10_000) {
  await page.waitForSelector(`#${id}[data-state="done"]`, { timeout });
  return (await page.textContent(`#${id}`)).trim();
}

/** The call's time as the page shows it ("… · 123 ms"). */
function shownMs(status) {
  const m = / · (\d+) ms$/.exec(status);
  check(m, `no timing in status line: ${status}`);
  return Number(m[1]);
}

/** The demo service's Stats, asked by this script itself (Connect GET, JSON) through Portico. */
async function serviceStats(portico) {
  const response = await fetch(`${portico}/portico.demo.v1.DemoService/Stats?connect=v1&encoding=json&message=%7B%7D`);
  check(response.ok, `Stats: HTTP ${response.status}`);
  const stats = await response.json();
  return { cancelledCalls: Number(stats.cancelledCalls ?? 0), streamedMessages: Number(stats.streamedMessages ?? 0) };
}

async function texts(page, selector) {
  return page.locator(selector).allTextContents();
}

const cases = {
  unary: async (page) => {
    await page.fill("#echo-message", "demo ✓ unary");
    await page.fill("#echo-key", "x-echo-greeting");
    await page.fill("#echo-value", "hi there");
    await page.click("#unary-btn");
    const status = await finalStatus(page, "unary-status");
    check(status.startsWith("OK (0) · "), `status line: ${status}`);
    shownMs(status);
    check((await page.textContent("#unary-response")) === '"demo ✓ unary"', `response: ${await page.textContent("#unary-response")}`);
    const received = await page.textContent("#unary-received");
    check(received === "x-echo-greeting: hi there", `metadata the service received: ${received}`);
    const headers = await texts(page, "#unary-headers li");
    check(headers.includes("x-echo-greeting: hi there"), `response headers: ${JSON.stringify(headers)}`);
    const trailers = await texts(page, "#unary-trailers li");
    check(trailers.includes("x-trailer-greeting: hi there"), `trailers: ${JSON.stringify(trailers)}`);
  },

  "stream-complete": async (page) => {
    await page.fill("#stream-count", "5");
    await page.fill("#stream-interval", "50");
    await page.click("#stream-btn");
    const status = await finalStatus(page, "stream-status");
    check(status.startsWith("OK (0) · "), `status line: ${status}`);
    const items = await texts(page, "#stream-out li");
    check(items.length === 5, `messages shown: ${items.length}, expected 5`);
    items.forEach((t, i) => check(t.startsWith(`#${i} · 16 bytes · +`), `message ${i}: ${t}`));
    check((await page.textContent("#stream-progress")) === "5 / 5 messages", `progress: ${await page.textContent("#stream-progress")}`);
  },

  "stream-cancel": async (page, client, portico) => {
    await page.fill("#stream-count", "100");
    await page.fill("#stream-interval", "200");
    const before = await serviceStats(portico);
    await page.click("#stream-btn");
    if (BUFFERS_STREAMS.has(client)) {
      // Nothing can show before the end: cancel once the service has sent two messages (bounded wait).
      const until = Date.now() + 5000;
      while ((await serviceStats(portico)).streamedMessages < before.streamedMessages + 2 && Date.now() < until) await sleep(100);
      check((await serviceStats(portico)).streamedMessages >= before.streamedMessages + 2, "the stream did not start upstream within 5 s");
      check((await page.locator("#stream-out li").count()) === 0, "messages shown before the end of a buffered stream");
    } else {
      // Live: the 3rd message arrives ~400 ms in, long before the 100th (~20 s).
      await page.waitForSelector("#stream-out li:nth-child(3)", { timeout: 5000 });
      const progress = await page.textContent("#stream-progress");
      check(/^\d+ \/ 100 messages$/.test(progress) && parseInt(progress) < 100, `progress while streaming: ${progress}`);
    }
    await page.click("#stream-cancel");
    const status = await finalStatus(page, "stream-status");
    check(status.startsWith("CANCELLED (1)"), `status line: ${status}`);
    const shown = await page.locator("#stream-out li").count();
    await page.waitForSelector("#stream-upstream[data-state]", { timeout: 10_000 });
    const upstream = await page.textContent("#stream-upstream");
    check((await page.getAttribute("#stream-upstream", "data-state")) === "cancelled", `upstream: ${upstream}`);
    check(upstream.startsWith("Upstream stopped: the service saw the call cancelled") && upstream.includes("none since"), `upstream: ${upstream}`);
    check((await page.locator("#stream-out li").count()) === shown, "messages kept arriving after the cancel");
  },

  deadline: async (page) => {
    await page.fill("#deadline-sleep", "3000");
    await page.fill("#deadline-timeout", "400");
    await page.click("#deadline-btn");
    const status = await finalStatus(page, "deadline-status");
    check(status.startsWith("DEADLINE_EXCEEDED (4)"), `status line: ${status}`);
    // Well before the service's 3 s sleep ends: the deadline, not the answer, ended the call.
    check(shownMs(status) < 2500, `took ${shownMs(status)} ms`);
  },

  error: async (page) => {
    await page.selectOption("#error-code", "5");
    await page.fill("#error-message", "nöt føund ✓ 100%");
    await page.check("#error-with-details");
    await page.click("#error-btn");
    const status = await finalStatus(page, "error-status");
    check(status.startsWith("NOT_FOUND (5): nöt føund ✓ 100% · "), `status line: ${status}`);
    const details = await texts(page, "#error-details li");
    check(details.length === 1, `details: ${JSON.stringify(details)}`);
    const expected = 'google.rpc.ErrorInfo {"reason":"DEMO_FAILURE","domain":"demo.portico.dev","metadata":{"requested_code":"5"}}';
    check(details[0] === expected, `details[0]: ${details[0]}`);
  },
};

let browser;
try {
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const state = forwardConsole(page);

  // CORS preflights are not page requests: the DevTools protocol reports them with type "Preflight".
  const preflights = [];
  const requests = [];
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  cdp.on("Network.requestWillBeSent", (e) => {
    if (e.type === "Preflight" || e.request.method === "OPTIONS") preflights.push(e.request.url);
    else requests.push(`${e.request.method} ${e.request.url}`);
  });

  await page.goto(appUrl, { timeout: 15_000 });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
  check(state.pageErrors === 0, "JavaScript errors while loading the app");
  const origins = await page.textContent("#origins");
  const porticoOrigin = /Portico: (\S+)$/.exec(origins)?.[1];
  check(porticoOrigin && porticoOrigin !== new URL(appUrl).origin, `the app must call Portico on another origin: ${origins}`);
  console.log(`# app ${new URL(appUrl).origin} -> Portico ${porticoOrigin}`);

  for (const client of clients) {
    await page.selectOption("#client", client);
    for (const [name, fn] of Object.entries(cases)) {
      const since = requests.length;
      try {
        await fn(page, client, porticoOrigin);
        if (name === "unary" && GET_ENCODING[client]) {
          const echo = requests.slice(since).filter((r) => r.includes("/portico.demo.v1.DemoService/Echo"));
          check(echo.length === 1 && echo[0].startsWith("GET ") && echo[0].includes("connect=v1") &&
                echo[0].includes(`encoding=${GET_ENCODING[client]}`), `Echo requests: ${JSON.stringify(echo)}`);
        }
        report(`${client}/${name}`);
      } catch (e) {
        report(`${client}/${name}`, e);
      }
    }
    if (opts.screenshots) {
      mkdirSync(opts.screenshots, { recursive: true });
      await page.screenshot({ path: join(opts.screenshots, `demo-${client}.png`), fullPage: true });
    }
    if (client === "grpcweb-text" && opts["docs-screenshot"]) {
      mkdirSync(dirname(opts["docs-screenshot"]), { recursive: true });
      await page.screenshot({ path: opts["docs-screenshot"], fullPage: true });
    }
  }

  // The chat: a bidirectional stream over WebSocket, from the app's origin to Portico's (an upgrade Portico
  // checks against its allowed origins).
  try {
    await page.click("#chat button[type=button]"); // Join
    await page.waitForSelector("#chat input:not([disabled])", { timeout: 5_000 });
    for (const [i, text] of ["hello from the demo", "second line"].entries()) {
      await page.fill("#chat input", text);
      await page.click("#chat button[type=submit]");
      await page.waitForFunction(([i, text]) => [...document.querySelectorAll("#chat li.chat-server")]
        .some((li) => li.textContent === `server: #${i} ${text}`), [i, text], { timeout: 5_000 });
    }
    await page.click("#chat button[type=button]"); // Leave: finish-send, the call ends with OK
    await page.waitForFunction(() => document.querySelector("#chat .chat-status")?.textContent === "The call ended with OK.",
      undefined, { timeout: 5_000 });
    report("chat/bidi over WebSocket");
  } catch (e) {
    report("chat/bidi over WebSocket", e);
  }

  try {
    const toPortico = preflights.filter((u) => u.startsWith(porticoOrigin + "/"));
    check(toPortico.length > 0, `no CORS preflight to ${porticoOrigin} (saw: ${JSON.stringify(preflights.slice(0, 5))})`);
    report(`cors/preflights (${toPortico.length} to Portico)`);
  } catch (e) {
    report("cors/preflights", e);
  }

  // A phone: one column, nothing wider than the screen.
  try {
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
    if (opts.screenshots) await page.screenshot({ path: join(opts.screenshots, "demo-phone.png"), fullPage: true });
    report("layout/phone");
  } catch (e) {
    report("layout/phone", e);
  }
  check(state.pageErrors === 0, "uncaught JavaScript errors in the app");
} catch (e) {
  report("demo-app", e);
} finally {
  clearTimeout(hardStop);
  await Promise.race([browser?.close(), sleep(3000)]);
}
done();
