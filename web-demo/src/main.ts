// The demo app: pick a client and transport, then make the four kinds of call a web app makes. Served by
// Portico in demo mode from its own port (portico.demo.page-port), so every call below is cross-origin.

import { CLIENT_IDS, CODE_NAMES, newClient, type ClientId, type DemoClient, type Detail, type Outcome } from "./clients.js";
import { CLIENTS } from "./wire.js";
import { mountChat } from "./chat.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Portico's address: ?portico=URL, else the scheme and port /portico.json gives at this page's host. */
async function porticoUrl(): Promise<string> {
  const override = new URLSearchParams(location.search).get("portico");
  if (override) return override.replace(/\/+$/, "");
  const config = (await (await fetch("portico.json")).json()) as { scheme: string; port: number };
  return `${config.scheme}://${location.hostname}:${config.port}`;
}

let portico = "";
let clientId: ClientId = "grpcweb-text";
let client: DemoClient;

function chooseClient(id: ClientId): void {
  clientId = id;
  client = newClient(id, portico);
  const info = CLIENTS[id];
  $("wire-title").textContent = `On the wire: ${info.label}`;
  $("wire").replaceChildren(...info.wire.map((line) => el("li", line)));
}

// ---------------------------------------------------------------------------------------------
// rendering

function el(tag: string, text?: string, className?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function codeName(code: number): string {
  return `${CODE_NAMES[code] ?? "CODE_" + code} (${code})`;
}

/** The status line of a finished call: "OK (0) · 12 ms" or "NOT_FOUND (5): message · 12 ms". */
function showStatus(id: string, outcome: Outcome<unknown>, ms: number): void {
  const line = $(id);
  line.replaceChildren(
    el("strong", codeName(outcome.code), outcome.code === 0 ? "ok" : "error"),
    document.createTextNode(`${outcome.message ? ": " + outcome.message : ""} · ${Math.round(ms)} ms`),
  );
  line.dataset.code = String(outcome.code);
  line.dataset.state = "done";
}

function pending(id: string, what: string): void {
  const line = $(id);
  line.textContent = what;
  line.dataset.state = "pending";
  delete line.dataset.code;
}

function showPairs(id: string, pairs: [string, string][]): void {
  $(id).replaceChildren(
    ...(pairs.length ? pairs.map(([k, v]) => el("li", `${k}: ${v}`)) : [el("li", "(none)", "muted")]),
  );
}

function showDetails(id: string, details: Detail[]): void {
  $(id).replaceChildren(
    ...(details.length
      ? details.map((d) => el("li", `${d.type} ${typeof d.value === "string" ? d.value : JSON.stringify(d.value)}`))
      : [el("li", "(none)", "muted")]),
  );
}

/** Runs `call` with its button disabled, timing it. */
async function timed<T>(button: string, call: () => Promise<T>): Promise<[T, number]> {
  $<HTMLButtonElement>(button).disabled = true;
  const start = performance.now();
  try {
    const result = await call();
    return [result, performance.now() - start];
  } finally {
    $<HTMLButtonElement>(button).disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// the four calls

async function unary(): Promise<void> {
  const key = input("echo-key").value.trim().toLowerCase();
  const metadata = key ? { [key]: input("echo-value").value } : {};
  pending("unary-status", "calling Echo…");
  const [outcome, ms] = await timed("unary-btn", () => client.echo({ message: input("echo-message").value }, metadata));
  showStatus("unary-status", outcome, ms);
  $("unary-response").textContent = outcome.response ? JSON.stringify(outcome.response.message) : "(no response)";
  $("unary-received").textContent = key ? `${key}: ${outcome.response?.metadata[key] ?? "(not received)"}` : "(no metadata sent)";
  showPairs("unary-headers", outcome.headers);
  showPairs("unary-trailers", outcome.trailers);
}

let streamAbort: AbortController | null = null;

async function serverStream(): Promise<void> {
  const count = Number(input("stream-count").value);
  const intervalMs = Number(input("stream-interval").value);
  const list = $("stream-out");
  list.replaceChildren();
  $("stream-upstream").textContent = "";
  delete $("stream-upstream").dataset.state;
  pending("stream-status", "streaming…");
  streamAbort = new AbortController();
  $<HTMLButtonElement>("stream-cancel").disabled = false;
  const before = await client.stats();
  let received = 0;
  let start = 0;
  const [outcome, ms] = await timed("stream-btn", () => {
    start = performance.now();
    return client.serverStream({ count, intervalMs, size: 16 }, (m) => {
      received++;
      list.append(el("li", `#${m.index} · ${m.payload.length} bytes · +${Math.round(performance.now() - start)} ms`));
      $("stream-progress").textContent = `${received} / ${count} messages`;
      list.lastElementChild?.scrollIntoView({ block: "nearest" });
    }, streamAbort!.signal);
  });
  $<HTMLButtonElement>("stream-cancel").disabled = true;
  $("stream-progress").textContent = `${received} / ${count} messages`;
  showStatus("stream-status", outcome, ms);
  if (outcome.code === 1) await showUpstreamStopped(before.cancelledCalls);
}

/**
 * After a cancel: asks the demo service (its Stats method, through Portico like every call here) whether
 * it saw the call cancelled, and whether its stream messages stopped growing.
 */
async function showUpstreamStopped(cancelledBefore: number): Promise<void> {
  const line = $("stream-upstream");
  line.textContent = "asking the service whether it stopped…";
  const until = performance.now() + 5000;
  let stats = await client.stats();
  while (stats.cancelledCalls <= cancelledBefore && performance.now() < until) {
    await sleep(100);
    stats = await client.stats();
  }
  if (stats.cancelledCalls <= cancelledBefore) {
    line.textContent = `The service did not see the call cancelled within 5 s (cancelled calls: ${stats.cancelledCalls}).`;
    line.dataset.state = "not-cancelled";
    return;
  }
  const sent = stats.streamedMessages;
  await sleep(2 * Number(input("stream-interval").value) + 200);
  const later = (await client.stats()).streamedMessages;
  line.textContent =
    `Upstream stopped: the service saw the call cancelled (cancelled calls ${cancelledBefore} → ${stats.cancelledCalls}); ` +
    `messages it has sent in all: ${sent}, ${later === sent ? "none since" : `${later - sent} since (other streams?)`}.`;
  line.dataset.state = "cancelled";
}

async function deadline(): Promise<void> {
  const sleepMs = Number(input("deadline-sleep").value);
  const timeoutMs = Number(input("deadline-timeout").value);
  pending("deadline-status", `Echo sleeping ${sleepMs} ms, deadline ${timeoutMs} ms…`);
  const [outcome, ms] = await timed("deadline-btn", () => client.echo({ message: "slow", sleepMs }, {}, timeoutMs));
  showStatus("deadline-status", outcome, ms);
}

async function fail(): Promise<void> {
  const code = Number($<HTMLSelectElement>("error-code").value);
  pending("error-status", "calling Fail…");
  const [outcome, ms] = await timed("error-btn", () =>
    client.fail({ code, message: input("error-message").value, withDetails: input("error-with-details").checked }),
  );
  showStatus("error-status", outcome, ms);
  showDetails("error-details", outcome.details);
}

// ---------------------------------------------------------------------------------------------
// start-up

function fillCodes(): void {
  const select = $<HTMLSelectElement>("error-code");
  for (let code = 1; code < CODE_NAMES.length; code++) select.append(new Option(codeName(code), String(code)));
  select.value = "5";
}

/** Shows an unexpected failure (a bug, or Portico unreachable) instead of leaving a button dead. */
function guarded(fn: () => Promise<void>): () => void {
  return () => {
    fn().catch((e: unknown) => {
      $("problem").textContent = `Unexpected: ${e instanceof Error ? e.message : String(e)}`;
      $("problem").hidden = false;
      console.error(e);
    });
  };
}

async function main(): Promise<void> {
  portico = await porticoUrl();
  $("origins").textContent = `This page: ${location.origin} · Portico: ${portico}`;
  const picker = $<HTMLSelectElement>("client");
  for (const id of CLIENT_IDS) picker.append(new Option(CLIENTS[id].label, id));
  picker.value = clientId;
  picker.addEventListener("change", () => chooseClient(picker.value as ClientId));
  chooseClient(clientId);
  fillCodes();
  $("unary-btn").addEventListener("click", guarded(unary));
  $("stream-btn").addEventListener("click", guarded(serverStream));
  // An AbortError reason: connect-web reports it as CANCELLED with this message.
  $("stream-cancel").addEventListener("click", () => streamAbort?.abort(new DOMException("cancelled by the page", "AbortError")));
  $("deadline-btn").addEventListener("click", guarded(deadline));
  $("error-btn").addEventListener("click", guarded(fail));
  // The chat: a bidirectional stream over Portico's WebSocket transport (whatever client is picked above:
  // fetch-based transports cannot send while they receive).
  mountChat($("chat"), portico);
  document.body.dataset.ready = "true";
}

guarded(main)();
