// Portico's API explorer: lists the upstream's services (GET api/services on the admin listener), builds each
// request from its schema (GET api/method), and calls the method from this browser through Portico's
// listener with Connect JSON (connectrpc.com/docs/protocol):
//   unary          POST application/json; the status is the HTTP status and an error JSON body; trailers
//                  arrive as "trailer-" headers.
//   server stream  POST application/connect+json; the body is enveloped messages (flag, 4-byte length,
//                  JSON), and the last envelope (flag 0x02) is the end-of-stream JSON with error and trailers.
//   client / bidi  the same envelopes, all sent in one body: fetch() cannot stream a request body to
//                  Portico (Chromium streams uploads only over HTTP/2, with duplex: "half").
// Plain JavaScript, no build step: it is served as is from the jar.

const $ = (id) => document.getElementById(id);

/** Flag bits of a Connect streaming envelope. */
const END_STREAM = 0x02;
const COMPRESSED = 0x01;

const state = {
  front: "",       // base URL calls go to, without trailing slash
  method: null,    // the api/method answer for the selected method
  call: null,      // AbortController of the call in flight
  shown: 0,        // which call the response panel shows: a cancelled call's late end must not overwrite it
};

// ---- services ----

async function loadServices() {
  let listing;
  try {
    const response = await fetch(`api/services?origin=${encodeURIComponent(location.origin)}`);
    listing = await response.json();
    if (!response.ok) throw new Error(listing.error || `HTTP ${response.status}`);
  } catch (e) {
    $("target").textContent = "";
    notice("error", `Cannot list services: ${e.message}`);
    return;
  }
  const front = listing.front;
  state.front = front.url || `${front.scheme}://${location.hostname}:${front.port}`;
  $("target").textContent = `Calls go from this browser to ${state.front} with Connect JSON.`;
  if (listing.cors && !listing.cors.allowed) {
    notice("error", `Portico's CORS settings do not allow this page's origin (${listing.cors.origin}) to call ` +
      `${state.front}, so the browser will block every call. Add "${listing.cors.origin}" to ` +
      `portico.cors.allowed-origins (or set portico.admin.explorer.front-url to a URL this origin may call).`);
  }
  for (const problem of listing.problems) notice("warn", problem);
  renderServices(listing.services);
  if (location.hash.length > 1) selectMethod(decodeURIComponent(location.hash.slice(1)));
}

function renderServices(services) {
  const root = $("services");
  root.replaceChildren();
  if (services.length === 0) {
    root.append(el("p", { className: "hint" }, "No services found."));
  }
  for (const service of services) {
    const block = el("section", { className: "service" });
    block.dataset.service = service.name;
    const title = el("h3", {}, service.name);
    title.title = `cluster: ${service.cluster ?? "none (calls fail UNIMPLEMENTED)"} · from ${service.source}`;
    block.append(title);
    const list = el("ul");
    for (const method of service.methods) {
      const full = `${service.name}/${method.name}`;
      const button = el("button", { type: "button", className: "method" },
        el("span", {}, method.name), el("span", { className: `badge ${method.kind}` }, method.kind));
      button.dataset.method = full;
      button.addEventListener("click", () => selectMethod(full));
      list.append(el("li", {}, button));
    }
    block.append(list);
    root.append(block);
  }
}

function filterMethods() {
  const words = $("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const button of document.querySelectorAll("button.method")) {
    const name = button.dataset.method.toLowerCase();
    button.parentElement.hidden = !words.every((w) => name.includes(w));
  }
}

// ---- one method ----

async function selectMethod(fullName) {
  cancelCall();
  state.shown++;
  let method;
  try {
    const response = await fetch(`api/method?name=${encodeURIComponent(fullName)}`);
    method = await response.json();
    if (!response.ok) throw new Error(method.error || `HTTP ${response.status}`);
  } catch (e) {
    notice("error", `Cannot load ${fullName}: ${e.message}`);
    return;
  }
  state.method = method;
  history.replaceState(null, "", `#${fullName}`);
  for (const button of document.querySelectorAll("button.method")) {
    button.classList.toggle("selected", button.dataset.method === fullName);
  }
  $("pick-one").hidden = true;
  $("method").hidden = false;
  $("response").hidden = true;
  $("method-name").textContent = `${method.service}/${method.name}`;
  $("method-kind").textContent = method.kind;
  $("method-kind").className = `badge ${method.kind}`;
  $("method-types").textContent = `${method.requestType} → ${method.responseType} · POST ${method.path}` +
    (method.noSideEffects ? " · no side effects (callable with GET too)" : "");
  const note = streamingNote(method.kind);
  $("streaming-note").hidden = !note;
  $("streaming-note").textContent = note;
  resetTemplate();
  renderTypes(method);
}

function sendsMany(kind) {
  return kind === "client-streaming" || kind === "bidi-streaming";
}

function streamingNote(kind) {
  switch (kind) {
    case "server-streaming":
      return "Server stream: messages appear as they arrive; Cancel stops the call (Portico cancels the upstream call).";
    case "client-streaming":
    case "bidi-streaming":
      return "Browsers cannot stream a request body to Portico (fetch streams uploads only over HTTP/2, " +
        "half-duplex), so the explorer sends the JSON array below as the call's messages, all at once, " +
        "then ends the request. Responses appear as they arrive." +
        (kind === "bidi-streaming" ? " Answers that depend on later requests cannot be shown interactively." : "");
    default:
      return "";
  }
}

function resetTemplate() {
  const template = state.method.template;
  $("editor").value = JSON.stringify(sendsMany(state.method.kind) ? [template] : template, null, 2);
}

function renderTypes(method) {
  const root = $("types-body");
  root.replaceChildren();
  if (method.typesTruncated) root.append(el("p", { className: "hint" }, "Only the first types are shown."));
  for (const [name, type] of Object.entries(method.types)) {
    const block = el("details", { className: "type" });
    block.id = `type-${name}`;
    block.open = name === method.requestType;
    block.append(el("summary", {}, `${type.kind} ${name}`));
    if (type.kind === "enum") {
      block.append(table(["value", "number"], type.values.map((v) => [v.name, String(v.number)])));
    } else if (type.wellKnown) {
      block.append(el("p", {}, "Well-known type; its JSON form: ", el("code", {}, JSON.stringify(type.example))));
    } else {
      block.append(table(["field", "JSON name", "#", "type"], type.fields.map((f) => [
        f.name, f.jsonName, String(f.number),
        fieldType(f) + (f.oneof ? ` (oneof ${f.oneof})` : ""),
      ])));
    }
    root.append(block);
  }
}

function fieldType(field) {
  switch (field.label) {
    case "map": return `map<${field.keyType}, ${field.type}>`;
    case "repeated": return `repeated ${field.type}`;
    case "optional": return `optional ${field.type}`;
    default: return field.type;
  }
}

// ---- calls ----

async function send() {
  const method = state.method;
  let messages;
  try {
    const parsed = JSON.parse($("editor").value);
    if (sendsMany(method.kind)) {
      if (!Array.isArray(parsed)) throw new Error("this method takes a stream: write a JSON array of messages");
      messages = parsed;
    } else {
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new Error("write one JSON object");
      }
      messages = [parsed];
    }
  } catch (e) {
    showOutcome({ invalid: `The request is not valid: ${e.message}` });
    return;
  }
  let headers;
  try {
    headers = metadataHeaders();
  } catch (e) {
    showOutcome({ invalid: e.message });
    return;
  }
  const unary = method.kind === "unary";
  headers.set("content-type", unary ? "application/json" : "application/connect+json");
  headers.set("connect-protocol-version", "1");
  const timeout = $("timeout").value.trim();
  if (timeout) headers.set("connect-timeout-ms", timeout);

  cancelCall();
  const controller = new AbortController();
  state.call = controller;
  $("send").disabled = true;
  $("cancel").disabled = false;
  const call = startOutcome();
  try {
    const body = unary ? JSON.stringify(messages[0]) : envelopes(messages);
    const response = await fetch(`${state.front}${method.path}`, {
      method: "POST", headers, body, signal: controller.signal, mode: "cors",
    });
    call.gotHeaders(response);
    if (unary) await readUnary(response, call);
    else await readStream(response, call);
  } catch (e) {
    if (controller.signal.aborted) call.end({ cancelled: true });
    else call.end({ network: e.message });
  } finally {
    if (state.call === controller) {
      state.call = null;
      $("send").disabled = false;
      $("cancel").disabled = true;
    }
  }
}

function cancelCall() {
  if (state.call) state.call.abort();
}

/** Request metadata from the "name: value" lines. */
function metadataHeaders() {
  const headers = new Headers();
  for (const line of $("metadata").value.split("\n")) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`Metadata line "${line}" is not "name: value".`);
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Connect streaming request body: one envelope per message (flags 0, big-endian length, JSON). */
function envelopes(messages) {
  const encoded = messages.map((m) => new TextEncoder().encode(JSON.stringify(m)));
  const body = new Uint8Array(encoded.reduce((n, bytes) => n + 5 + bytes.length, 0));
  const view = new DataView(body.buffer);
  let offset = 0;
  for (const bytes of encoded) {
    view.setUint8(offset, 0);
    view.setUint32(offset + 1, bytes.length);
    body.set(bytes, offset + 5);
    offset += 5 + bytes.length;
  }
  return body;
}

async function readUnary(response, call) {
  const text = await response.text();
  const json = parseJson(text);
  const trailers = [];
  for (const [name, value] of response.headers) {
    if (name.startsWith("trailer-")) trailers.push([name.slice("trailer-".length), value]);
  }
  if (response.ok) {
    call.message(json);
    call.end({ code: "ok", trailers });
  } else {
    // Connect: a failed unary call answers with an error JSON; the HTTP status alone when it has none.
    call.end({ code: json?.code ?? `HTTP ${response.status}`, error: json ?? text, trailers });
  }
}

async function readStream(response, call) {
  if (!response.ok) {
    // Not a Connect stream at all (Portico refused the request before the call started).
    const text = await response.text();
    const json = parseJson(text);
    call.end({ code: json?.code ?? `HTTP ${response.status}`, error: json ?? text, trailers: [] });
    return;
  }
  const reader = response.body.getReader();
  let buffer = new Uint8Array(0);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = concat(buffer, value);
    while (buffer.length >= 5) {
      const flags = buffer[0];
      const length = new DataView(buffer.buffer, buffer.byteOffset + 1, 4).getUint32(0);
      if (buffer.length < 5 + length) break;
      const payload = new TextDecoder().decode(buffer.subarray(5, 5 + length));
      buffer = buffer.slice(5 + length);
      if (flags & COMPRESSED) {
        call.end({ code: "internal", error: "a compressed message arrived, which the explorer did not ask for" });
        return;
      }
      if (flags & END_STREAM) {
        const end = parseJson(payload) ?? {};
        const trailers = Object.entries(end.metadata ?? {}).flatMap(([k, vs]) => vs.map((v) => [k, v]));
        call.end({ code: end.error ? end.error.code : "ok", error: end.error, trailers });
        return;
      }
      call.message(parseJson(payload) ?? payload);
    }
  }
  call.end({ code: "unknown", error: "the stream ended without its end-of-stream message", trailers: [] });
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// ---- showing a call ----

/** Clears the response panel for a new call and returns the call's recorder. */
function startOutcome() {
  const shown = ++state.shown;
  const started = performance.now();
  let headersAt = null;
  let count = 0;
  let ended = false;
  $("response").hidden = false;
  $("status").textContent = "Calling…";
  $("status").className = "status pending";
  delete $("status").dataset.code;
  $("timing").textContent = "";
  $("error").hidden = true;
  $("messages").replaceChildren();
  $("message-count").textContent = "";
  fillTable("headers", []);
  fillTable("trailers", []);
  const ms = (t) => `${(t - started).toFixed(1)} ms`;
  return {
    gotHeaders(response) {
      if (shown !== state.shown) return;
      headersAt = performance.now();
      $("status").textContent = `HTTP ${response.status}, receiving…`;
      fillTable("headers", [...response.headers].filter(([name]) => !name.startsWith("trailer-")));
    },
    message(json) {
      if (shown !== state.shown) return;
      count++;
      const item = el("li", {}, el("span", { className: "hint" }, `#${count - 1} at ${ms(performance.now())}`),
        el("pre", {}, typeof json === "string" ? json : JSON.stringify(json, null, 2)));
      $("messages").append(item);
      $("message-count").textContent = `(${count})`;
    },
    end(outcome) {
      if (ended || shown !== state.shown) return;
      ended = true;
      const now = performance.now();
      let label;
      if (outcome.cancelled) {
        label = "cancelled by you (the browser reset the request; Portico cancelled the upstream call)";
      } else if (outcome.network) {
        label = `no answer: ${outcome.network} — is Portico's listener at ${state.front} reachable, and does ` +
          "its CORS policy allow this page's origin?";
      } else {
        label = outcome.code;
      }
      $("status").textContent = label;
      $("status").className = `status ${outcome.code === "ok" ? "ok" : "failed"}`;
      $("status").dataset.code = outcome.cancelled ? "cancelled" : outcome.network ? "network" : outcome.code;
      $("timing").textContent = `${count} message${count === 1 ? "" : "s"} · ` +
        (headersAt === null ? "" : `headers after ${ms(headersAt)} · `) + `total ${ms(now)}`;
      if (outcome.error) {
        $("error").hidden = false;
        $("error-body").textContent = typeof outcome.error === "string" ? outcome.error
          : JSON.stringify(outcome.error, null, 2);
      }
      if (outcome.trailers) fillTable("trailers", outcome.trailers);
    },
  };
}

/** Shows a problem found before anything was sent. */
function showOutcome({ invalid }) {
  state.shown++;
  $("response").hidden = false;
  $("status").textContent = invalid;
  $("status").className = "status failed";
  $("status").dataset.code = "invalid";
  $("timing").textContent = "Nothing was sent.";
  $("error").hidden = true;
  $("messages").replaceChildren();
  fillTable("headers", []);
  fillTable("trailers", []);
}

function fillTable(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows.map(([name, value]) => el("tr", {}, el("th", {}, name), el("td", {}, value))));
  if (rows.length === 0) body.append(el("tr", {}, el("td", { className: "hint" }, "none")));
}

function table(head, rows) {
  const t = el("table");
  t.append(el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))));
  t.append(el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
  return t;
}

function notice(kind, text) {
  $("notices").append(el("p", { className: `notice ${kind}` }, text));
}

/** document.createElement with properties and children (strings become text, never HTML). */
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

$("send").addEventListener("click", send);
$("cancel").addEventListener("click", cancelCall);
$("reset").addEventListener("click", resetTemplate);
$("filter").addEventListener("input", filterMethods);
loadServices();
