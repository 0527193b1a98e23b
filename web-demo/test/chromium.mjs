// Launching Debian's Chromium through playwright-core, shared by the browser test scripts.
// No browser download happens (or could: the machine reaches no browser CDN); we drive the
// system /usr/bin/chromium from `apt-get install chromium`.
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

// Flags known to work on this machine kind: without the background-networking ones Chromium
// keeps trying to reach Google's hosts, which the closed network refuses.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Throws with an actionable message when Chromium is missing. */
export function checkChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
}

/**
 * playwright's launch() gives Chromium a new, empty temporary profile (its --user-data-dir)
 * every run and deletes it on close.
 */
export async function launchChromium() {
  checkChromium();
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
}

/** Prints the page's console errors (all messages when verbose) and uncaught exceptions. */
export function forwardConsole(page, verbose = false) {
  const state = { pageErrors: 0 };
  page.on("console", (msg) => {
    if (msg.type() === "error") console.log(`console: ${msg.text()}`);
    else if (verbose) console.log(`console: ${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => {
    state.pageErrors++;
    console.log(`console: uncaught ${err.name}: ${err.message}`);
  });
  page.on("crash", () => console.log("console: page crashed"));
  return state;
}
