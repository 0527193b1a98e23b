// A MOCK of Portico's gRPC-Web endpoint for DemoService, used only to self-test the browser
// harness (npm run selftest) while the real gateway is not available. It is not a reference
// implementation: it does what PROTOCOLS.md B1–B5 describe in the simplest way that lets every
// browser case pass, so a failure against the real Portico points at Portico, not at the harness.
//
//   node test/mock-portico.mjs [--port 0]     prints "listening on http://127.0.0.1:PORT"

import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  EchoRequestSchema,
  EchoResponseSchema,
  FailRequestSchema,
  StreamRequestSchema,
} from "../gen/portico/demo/v1/demo_pb.js";

const PREFIX = "/portico.demo.v1.DemoService/";
const EXPOSE = ["grpc-status", "grpc-message", "grpc-status-details-bin"];

/** Parses grpc-timeout ("300m", "2S", ...) into milliseconds; undefined when absent/malformed. */
function parseTimeout(v) {
  const m = /^(\d{1,8})([HMSmun])$/.exec(v ?? "");
  if (!m) return undefined;
  const mult = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }[m[2]];
  return Number(m[1]) * mult;
}

function frame(flag, bytes) {
  const out = new Uint8Array(5 + bytes.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}

/** google.rpc.Status{code, message, details:[Any(google.rpc.ErrorInfo)]}, hand-encoded. */
function statusDetails(code, message) {
  const errorInfo = new BinaryWriter().tag(1, WireType.LengthDelimited).string("MOCK_REASON").tag(2, WireType.LengthDelimited).string("mock.portico.dev").finish();
  const any = new BinaryWriter().tag(1, WireType.LengthDelimited).string("type.googleapis.com/google.rpc.ErrorInfo").tag(2, WireType.LengthDelimited).bytes(errorInfo).finish();
  return new BinaryWriter().tag(1, WireType.Varint).int32(code).tag(2, WireType.LengthDelimited).string(message).tag(3, WireType.LengthDelimited).bytes(any).finish();
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

function handle(req, res) {
  const origin = req.headers.origin;
  const cors = origin ? { "access-control-allow-origin": origin, vary: "Origin" } : {};

  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      ...cors,
      "access-control-allow-methods": "POST, OPTIONS",
      // Echo what the preflight asks for: the request carries arbitrary custom metadata.
      "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "",
      "access-control-max-age": "7200",
    });
    return res.end();
  }
  const url = new URL(req.url, "http://x");
  if (req.method !== "POST" || !url.pathname.startsWith(PREFIX)) {
    res.writeHead(404, cors);
    return res.end();
  }
  const method = url.pathname.slice(PREFIX.length);
  const text = (req.headers["content-type"] ?? "").startsWith("application/grpc-web-text");

  readBody(req).then((raw) => {
    const body = text ? Buffer.from(raw.toString("latin1"), "base64") : raw;
    const msg = body.length >= 5 ? body.subarray(5, 5 + body.readUInt32BE(1)) : new Uint8Array(0);

    const echoHeaders = {};
    const trailers = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.startsWith("x-echo-")) {
        echoHeaders[k] = v;
        trailers["x-trailer-" + k.slice("x-echo-".length)] = v;
      }
    }
    res.writeHead(200, {
      ...cors,
      "access-control-expose-headers": [...EXPOSE, ...Object.keys(echoHeaders)].join(", "),
      "content-type": text ? "application/grpc-web-text+proto" : "application/grpc-web+proto",
      ...echoHeaders,
    });

    let done = false;
    const timers = new Set();
    const later = (ms, fn) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    // Text mode: base64 per frame, so padding can appear mid-body (clients must cope, B3).
    const write = (bytes) => !done && res.write(text ? Buffer.from(bytes).toString("base64") : bytes);
    const finish = (code, message = "", extra = {}) => {
      if (done) return;
      const lines = { ...trailers, ...extra, "grpc-status": String(code) };
      if (message) lines["grpc-message"] = encodeURIComponent(message);
      const block = Object.entries(lines).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      write(frame(0x80, new TextEncoder().encode(block)));
      done = true;
      timers.forEach(clearTimeout);
      res.end();
    };
    res.on("close", () => {
      // Client went away (cancel/abort): stop producing, as a real server would.
      done = true;
      timers.forEach(clearTimeout);
    });
    const timeoutMs = parseTimeout(req.headers["grpc-timeout"]);
    if (timeoutMs !== undefined) later(timeoutMs, () => finish(4, "deadline exceeded"));

    const metadata = {};
    for (const [k, v] of Object.entries(req.headers)) metadata[k] = Array.isArray(v) ? v.join(",") : v;

    switch (method) {
      case "Echo": {
        const r = fromBinary(EchoRequestSchema, msg);
        later(r.sleepMs, () => {
          write(frame(0, toBinary(EchoResponseSchema, create(EchoResponseSchema, { message: r.message, payload: r.payload, metadata }))));
          finish(0);
        });
        break;
      }
      case "ServerStream": {
        const r = fromBinary(StreamRequestSchema, msg);
        const send = (i) => {
          if (done) return;
          if (i >= r.count) return finish(r.failCode, r.failCode ? "stream failed" : "");
          const payload = new Uint8Array(r.size).fill(0x61 + (i % 26));
          write(frame(0, toBinary(EchoResponseSchema, create(EchoResponseSchema, { message: r.message, payload, index: i }))));
          if (r.intervalMs > 0) later(r.intervalMs, () => send(i + 1));
          else send(i + 1);
        };
        send(0);
        break;
      }
      case "Fail": {
        const r = fromBinary(FailRequestSchema, msg);
        const extra = r.withDetails
          ? { "grpc-status-details-bin": Buffer.from(statusDetails(r.code, r.message)).toString("base64").replace(/=+$/, "") }
          : {};
        finish(r.code, r.message, extra);
        break;
      }
      default:
        finish(12, `method ${method} not implemented by the mock`);
    }
  });
}

export function startMock(port = 0) {
  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
  const server = await startMock(Number(values.port));
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
}
