#!/usr/bin/env node
// Runs @connectrpc/connect-node clients against a running Portico:
//
//   node web-demo/test/node-clients.mjs --target http://127.0.0.1:8080 [--only a,b] [--timeout-ms 60000] [--verbose]
//
// Every combination of protocol (Connect, gRPC-Web), HTTP version (1.1, 2: h2c with prior knowledge)
// and codec (binary, JSON) calls the demo service (portico.demo.v1.DemoService) through Portico:
// unary with headers and trailers, server streaming, errors with details, deadlines (the client's and
// Portico's own), gzip both ways; client and bidi streaming over HTTP/2; Connect GET for Echo
// (idempotency_level NO_SIDE_EFFECTS). Prints `PASS name` / `FAIL name: reason` per case, then
// `N passed, M failed`; exits 1 on any failure. Needs `npm ci && npm run build` (gen/) first.

import diagnostics from "node:diagnostics_channel";
import { existsSync } from "node:fs";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseRunnerOptions } from "./runner-options.mjs";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  Http2SessionManager,
  compressionGzip,
  createConnectTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const GEN = join(ROOT, "gen/portico/demo/v1/demo_pb.js");

const { target, totalTimeoutMs, only, verbose } = parseRunnerOptions("node-clients.mjs");
const CASE_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// reporting and the hard stop

let passed = 0;
let failed = 0;
let finished = false;
const pending = new Set(); // cases not yet reported, so the global timeout can report them
let current = null;

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

function finish(code) {
  if (finished) return;
  finished = true;
  console.log(`${passed} passed, ${failed} failed`);
  // Open HTTP/2 sessions and abandoned calls must not keep the process alive.
  process.exit(code ?? (failed > 0 ? 1 : 0));
}

const hardStop = setTimeout(() => {
  for (const name of [...pending]) {
    fail(name, name === current ? `not finished within the total timeout of ${totalTimeoutMs} ms` : `not run: total timeout of ${totalTimeoutMs} ms reached`);
  }
  if (passed + failed === 0) fail("harness", `nothing finished within ${totalTimeoutMs} ms`);
  finish(1);
}, totalTimeoutMs);

// An error nobody listens for (say an HTTP/2 session's 'error' event) must not kill the run: it
// fails the case running when it happens, and the run goes on.
let abortCurrent = null;
function onStray(e) {
  const what = e instanceof Error ? `${e.name}: ${e.message}${e.code ? ` (${e.code})` : ""}` : String(e);
  if (abortCurrent) abortCurrent(new AssertionFailed(`uncaught error while the case ran: ${what}`));
  else console.log(`# uncaught error outside any case: ${what}`);
}
process.on("uncaughtException", onStray);
process.on("unhandledRejection", onStray);

// ---------------------------------------------------------------------------------------------
// assertions

class AssertionFailed extends Error {}

function check(cond, msg) {
  if (!cond) throw new AssertionFailed(msg);
}

function eq(actual, expected, what) {
  if (actual !== expected) throw new AssertionFailed(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function eqCode(err, expected) {
  if (err.code !== expected) {
    throw new AssertionFailed(`error code: expected ${Code[expected]}(${expected}), got ${describeError(err)}`);
  }
}

function show(v) {
  if (v instanceof Uint8Array) return `bytes[${v.length}]`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function describeError(e) {
  if (e instanceof ConnectError) {
    return `ConnectError code=${Code[e.code]}(${e.code}) message=${show(e.rawMessage)}` +
      (e.cause && e.cause !== e ? ` cause=${show(String(e.cause))}` : "");
  }
  return e instanceof Error ? `${e.name}: ${e.message}` : show(e);
}

function bytesEqual(a, b) {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs `call`, which must fail; returns the ConnectError. */
async function expectError(call) {
  let result;
  try {
    result = await call();
  } catch (e) {
    check(e instanceof ConnectError, `expected a ConnectError, got ${describeError(e)}`);
    return e;
  }
  throw new AssertionFailed(`expected an error, got a response: ${show(result)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every byte value, so a codec or framing bug touching 0x00/0x80/0xff (or base64 in JSON) shows.
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

// ---------------------------------------------------------------------------------------------
// google.rpc.ErrorInfo, built from its descriptor (google/rpc/error_details.proto is not part of the
// generated code: buf has no googleapis offline). Enough for ConnectError.findDetails().

const ErrorInfoSchema = (() => {
  const string = FieldDescriptorProto_Type.STRING;
  const optional = FieldDescriptorProto_Label.OPTIONAL;
  const file = create(FileDescriptorProtoSchema, {
    name: "google/rpc/error_details.proto",
    package: "google.rpc",
    syntax: "proto3",
    messageType: [{
      name: "ErrorInfo",
      field: [
        { name: "reason", number: 1, type: string, label: optional, jsonName: "reason" },
        { name: "domain", number: 2, type: string, label: optional, jsonName: "domain" },
        {
          name: "metadata", number: 3, type: FieldDescriptorProto_Type.MESSAGE,
          label: FieldDescriptorProto_Label.REPEATED, typeName: ".google.rpc.ErrorInfo.MetadataEntry", jsonName: "metadata",
        },
      ],
      nestedType: [{
        name: "MetadataEntry",
        field: [
          { name: "key", number: 1, type: string, label: optional, jsonName: "key" },
          { name: "value", number: 2, type: string, label: optional, jsonName: "value" },
        ],
        options: { mapEntry: true },
      }],
    }],
  });
  return createFileRegistry(file, () => undefined).getMessage("google.rpc.ErrorInfo");
})();

// ---------------------------------------------------------------------------------------------
// what the HTTP layer really sent (for Connect GET): Node's http client announces every request on
// a diagnostics channel; HTTP/2 requests go through a session manager that records them.
// Connect GET over HTTP/1.1 also checks that the keep-alive connection survives the GET.

const sentRequests = []; // {method, path}
const announced = new WeakSet(); // Node 20 announces a request on a reused keep-alive socket twice
diagnostics.subscribe("http.client.request.start", ({ request }) => {
  if (announced.has(request)) return;
  announced.add(request);
  sentRequests.push({ method: request.method, path: request.path });
});

/** An HTTP/1.1 agent that counts the connections it opens (keep-alive must reuse one). */
class CountingAgent extends http.Agent {
  created = 0;

  createConnection(options, callback) {
    this.created++;
    return super.createConnection(options, callback);
  }
}

class RecordingSessionManager extends Http2SessionManager {
  request(method, path, headers, options) {
    sentRequests.push({ method, path });
    return super.request(method, path, headers, options);
  }
}

/** gzip that counts its use, to prove both directions were really compressed. */
function countingGzip() {
  const counts = { compress: 0, decompress: 0 };
  return {
    counts,
    compression: {
      name: compressionGzip.name,
      compress(bytes) {
        counts.compress++;
        return compressionGzip.compress(bytes);
      },
      decompress(bytes, readMaxBytes) {
        counts.decompress++;
        return compressionGzip.decompress(bytes, readMaxBytes);
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// transports and cases

const TRANSPORTS = [
  { name: "connect-h1", protocol: "connect", httpVersion: "1.1" },
  { name: "connect-h2", protocol: "connect", httpVersion: "2" },
  { name: "grpcweb-h1", protocol: "grpcweb", httpVersion: "1.1" },
  { name: "grpcweb-h2", protocol: "grpcweb", httpVersion: "2" },
];
const FORMATS = [
  { name: "proto", binary: true },
  { name: "json", binary: false },
];

function responseContentType(t, f, streaming) {
  if (t.protocol === "grpcweb") return `application/grpc-web+${f.name}`;
  return streaming ? `application/connect+${f.name}` : `application/${f.name}`;
}

/** The response header that names a response's compression, per protocol and call type. */
function encodingHeader(t, streaming) {
  if (t.protocol === "grpcweb") return "grpc-encoding";
  return streaming ? "connect-content-encoding" : "content-encoding";
}

function newTransport(t, f, extra = {}) {
  const factory = t.protocol === "connect" ? createConnectTransport : createGrpcWebTransport;
  return factory({ baseUrl: target, httpVersion: t.httpVersion, useBinaryFormat: f.binary, ...extra });
}

let DemoService;
const cases = new Map(); // name -> async () => void

function addCase(name, fn) {
  cases.set(name, fn);
}

function defineCases() {
  for (const t of TRANSPORTS) {
    for (const f of FORMATS) {
      const prefix = `${t.name}-${f.name}`;
      let shared;
      const client = () => (shared ??= createClient(DemoService, newTransport(t, f)));

      addCase(`${prefix}/unary`, async () => {
        const value = `v-${prefix}`;
        let header;
        let trailer;
        const res = await client().echo(
          { message: `hello ${prefix} ✓`, payload: ALL_BYTES },
          { headers: { "x-echo-foo": value }, onHeader: (h) => (header = h), onTrailer: (h) => (trailer = h), timeoutMs: 5000 },
        );
        eq(res.message, `hello ${prefix} ✓`, "message");
        check(bytesEqual(res.payload, ALL_BYTES), `payload: expected the 256 byte values, got ${show(res.payload)} ${Array.from(res.payload ?? []).slice(0, 8)}`);
        eq(res.metadata["x-echo-foo"], value, "request header x-echo-foo as the upstream saw it");
        check(header, "onHeader was not called");
        eq(header.get("x-echo-foo"), value, "response header x-echo-foo");
        eq(header.get("content-type"), responseContentType(t, f, false), "response content-type");
        check(trailer, "onTrailer was not called");
        eq(trailer.get("x-trailer-foo"), value, "trailer x-trailer-foo");
      });

      addCase(`${prefix}/server-stream`, async () => {
        const value = `s-${prefix}`;
        let header;
        let trailer;
        const got = [];
        for await (const m of client().serverStream(
          { count: 5, size: 100, message: "tick" },
          { headers: { "x-echo-foo": value }, onHeader: (h) => (header = h), onTrailer: (h) => (trailer = h), timeoutMs: 5000 },
        )) {
          got.push(m);
        }
        eq(got.length, 5, "message count");
        got.forEach((m, i) => {
          eq(m.index, i, `message ${i} index`);
          eq(m.message, "tick", `message ${i} text`);
          check(bytesEqual(m.payload, new Uint8Array(100)), `message ${i} payload: expected 100 zero bytes, got ${show(m.payload)}`);
        });
        check(header, "onHeader was not called");
        eq(header.get("x-echo-foo"), value, "response header x-echo-foo");
        eq(header.get("content-type"), responseContentType(t, f, true), "response content-type");
        check(trailer, "onTrailer was not called");
        eq(trailer.get("x-trailer-foo"), value, "trailer x-trailer-foo");
      });

      addCase(`${prefix}/error-details`, async () => {
        const err = await expectError(() => client().fail({ code: 5, message: "nope", withDetails: true }, { timeoutMs: 5000 }));
        eqCode(err, Code.NotFound);
        eq(err.rawMessage, "nope", "error message");
        check(err.details.length >= 1, `details: expected at least 1, got ${err.details.length}`);
        const types = err.details.map((d) => ("desc" in d ? d.desc.typeName : d.type));
        eq(types[0], "google.rpc.ErrorInfo", "details[0] type");
        const infos = err.findDetails(ErrorInfoSchema);
        eq(infos.length, 1, "ErrorInfo details found");
        eq(infos[0].reason, "DEMO_FAILURE", "ErrorInfo.reason");
        eq(infos[0].domain, "demo.portico.dev", "ErrorInfo.domain");
        eq(infos[0].metadata.requested_code, "5", "ErrorInfo.metadata.requested_code");
      });

      // The client's own deadline: connect-node sends it (Connect-Timeout-Ms / grpc-timeout) and also
      // enforces it locally, so this is what an application sees.
      addCase(`${prefix}/deadline`, async () => {
        const started = performance.now();
        const err = await expectError(() => client().echo({ message: "slow", sleepMs: 2000 }, { timeoutMs: 200 }));
        const took = performance.now() - started;
        eqCode(err, Code.DeadlineExceeded);
        check(took < 1800, `DeadlineExceeded after ${Math.round(took)} ms, expected about 200 ms`);
      });

      // The deadline only as a header, with no client-side timer: only Portico (and the upstream it
      // passes the deadline to) can end this call early.
      addCase(`${prefix}/deadline-header`, async () => {
        const headers = t.protocol === "connect" ? { "connect-timeout-ms": "200" } : { "grpc-timeout": "200m" };
        const started = performance.now();
        const err = await expectError(() => client().echo({ message: "slow", sleepMs: 2000 }, { headers }));
        const took = performance.now() - started;
        eqCode(err, Code.DeadlineExceeded);
        check(took < 1800, `DeadlineExceeded after ${Math.round(took)} ms: the 200 ms deadline header was not enforced`);
      });

      addCase(`${prefix}/gzip`, async () => {
        const gzip = countingGzip();
        let resHeader;
        const transport = newTransport(t, f, {
          sendCompression: gzip.compression,
          acceptCompression: [gzip.compression],
          interceptors: [(next) => async (req) => {
            const res = await next(req);
            resHeader = res.header;
            return res;
          }],
        });
        // 10 KB, compressible (so any server-side minimum size for compressing is met), every byte value.
        const payload = Uint8Array.from({ length: 10 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
        const res = await createClient(DemoService, transport).echo({ message: "zipped", payload }, { timeoutMs: 5000 });
        eq(res.message, "zipped", "message");
        check(bytesEqual(res.payload, payload), `payload: expected the 10240 bytes sent, got ${show(res.payload)}`);
        check(gzip.counts.compress >= 1, "the client did not gzip its request");
        eq(resHeader?.get(encodingHeader(t, false)), "gzip", `response ${encodingHeader(t, false)}`);
        check(gzip.counts.decompress >= 1, "the response was not gzipped (client never decompressed)");
      });

      if (t.httpVersion === "2") {
        addCase(`${prefix}/client-stream`, async () => {
          async function* requests() {
            for (const m of ["a", "b", "c"]) {
              yield { message: m };
              await sleep(20);
            }
          }
          const res = await client().clientStream(requests(), { timeoutMs: 5000 });
          eq(res.message, "a,b,c", "joined messages");
          eq(res.index, 3, "message count (index)");
        });

        addCase(`${prefix}/bidi`, async () => {
          const input = pushable();
          const responses = client().bidiStream(input, { timeoutMs: 8000 })[Symbol.asyncIterator]();
          try {
            for (let i = 0; i < 3; i++) {
              const payload = Uint8Array.of(i, 0xff - i, 0x80);
              input.push({ message: `m${i}`, payload });
              // Interleaved: request i+1 is only sent after response i came back.
              const r = await responses.next();
              check(!r.done, `the stream ended before response ${i}`);
              eq(r.value.message, `m${i}`, `response ${i} message`);
              eq(r.value.index, i, `response ${i} index`);
              check(bytesEqual(r.value.payload, payload), `response ${i} payload: got ${show(r.value.payload)}`);
            }
            input.end();
            const last = await responses.next();
            check(last.done, `expected the end of the stream after 3 responses, got ${show(last.value)}`);
          } finally {
            input.end();
          }
        });
      }
    }
  }

  // Connect GET: Echo is NO_SIDE_EFFECTS, so with useHttpGet the client sends it as a GET.
  for (const t of TRANSPORTS.filter((x) => x.protocol === "connect")) {
    for (const f of FORMATS) {
      const prefix = `${t.name}-${f.name}`;
      addCase(`${prefix}/get`, async () => {
        const extra = { useHttpGet: true };
        let agent = null;
        if (t.httpVersion === "2") {
          extra.sessionManager = new RecordingSessionManager(target);
        } else {
          agent = new CountingAgent({ keepAlive: true, maxSockets: 1 });
          extra.nodeOptions = { agent };
        }
        const client = createClient(DemoService, newTransport(t, f, extra));
        const from = sentRequests.length;
        try {
          let header;
          const res = await client.echo({ message: `get ${prefix}`, payload: ALL_BYTES }, { onHeader: (h) => (header = h), timeoutMs: 5000 });
          eq(res.message, `get ${prefix}`, "message");
          check(bytesEqual(res.payload, ALL_BYTES), `payload: expected the 256 byte values, got ${show(res.payload)}`);
          eq(header?.get("content-type"), responseContentType(t, f, false), "response content-type");
          // The connection stays usable after a GET, as after a POST. The pause lets a close from Portico
          // arrive first, so that it shows as a second connection rather than as a write error.
          await sleep(50);
          const again = await client.echo({ message: "again" }, { timeoutMs: 5000 });
          eq(again.message, "again", "second GET: message");
          if (agent) {
            check(agent.created === 1, `HTTP/1.1 connections opened for two GETs: expected 1 (keep-alive), got ${agent.created}: ` +
              "the connection was closed after the first GET's response");
          }
        } finally {
          agent?.destroy();
        }
        const sent = sentRequests.slice(from).filter((r) => r.path.startsWith("/portico.demo.v1.DemoService/Echo"));
        eq(sent.length, 2, `Echo requests sent (${show(sent)})`);
        for (const r of sent) {
          eq(r.method, "GET", "HTTP method the client used");
          const query = new URL(r.path, "http://x").searchParams;
          eq(query.get("connect"), "v1", "query connect");
          eq(query.get("encoding"), f.name, "query encoding");
          check(query.get("message"), `query has no message: ${r.path}`);
        }
      });
    }
  }
}

/** An async iterable the test pushes request messages into (for bidi). */
function pushable() {
  const queue = [];
  let waiting = null;
  let ended = false;
  return {
    push(value) {
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value, done: false });
      } else {
        queue.push(value);
      }
    },
    end() {
      ended = true;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: undefined, done: true });
      }
    },
    [Symbol.asyncIterator]() {
      return {
        next: () => {
          if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
          if (ended) return Promise.resolve({ value: undefined, done: true });
          return new Promise((r) => (waiting = r));
        },
        return: () => {
          ended = true;
          return Promise.resolve({ value: undefined, done: true });
        },
        throw: (e) => {
          ended = true;
          return Promise.reject(e);
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(GEN)) {
    fail("harness", "gen/portico/demo/v1/demo_pb.js missing: run `npm ci && npm run build` in web-demo/ first");
    return finish(1);
  }
  ({ DemoService } = await import(GEN));
  check(DemoService, "generated code lacks DemoService");
  defineCases();
  console.log(`# connect-node clients -> ${target}`);

  const names = only ?? [...cases.keys()];
  names.forEach((n) => pending.add(n));
  for (const name of names) {
    if (finished) break;
    const fn = cases.get(name);
    if (!fn) {
      fail(name, `unknown case; known cases: ${[...cases.keys()].join(", ")}`);
      continue;
    }
    current = name;
    const started = performance.now();
    let timer;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          abortCurrent = reject;
          timer = setTimeout(() => reject(new AssertionFailed(`no result within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
        }),
      ]);
      pass(name, performance.now() - started);
    } catch (e) {
      fail(name, e instanceof AssertionFailed ? e.message : `unexpected ${describeError(e)}`);
    } finally {
      clearTimeout(timer);
      abortCurrent = null;
    }
  }
  clearTimeout(hardStop);
  finish();
}

main().catch((e) => {
  fail("harness", e?.stack ?? String(e));
  finish(1);
});
