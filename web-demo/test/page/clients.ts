// Browser-side test cases for Portico. Bundled by esbuild into dist/clients.js and loaded by
// test/page/index.html, which test/browser-clients.mjs serves from its own origin, so every call
// below is a real cross-origin request (CORS preflight included) against the target gateway.
//
// Each case throws on the first failed assertion; window.__portico.run() turns that into
// {ok:false, reason}. Cases assert real values, not only "no error".

import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  GrpcWebClientBase,
  MethodDescriptor,
  type ClientReadableStream,
  type Metadata,
  type RpcError,
  type Status,
} from "grpc-web";
import {
  DemoService,
  EchoRequestSchema,
  EchoResponseSchema,
  FailRequestSchema,
  StreamRequestSchema,
  type EchoResponse,
} from "../../gen/portico/demo/v1/demo_pb.js";
import { AssertionFailed, check, eq, expectConnectError, serveCases, show, sleep } from "./harness.js";

const SERVICE = "/portico.demo.v1.DemoService/";

// ---------------------------------------------------------------------------------------------
// small helpers


/** Asserts a grpc-web RpcError or ConnectError carries `expected` (numeric gRPC code). */
function eqCode(err: { code: number; message?: string } | ConnectError, expected: number): void {
  if (err.code !== expected) {
    const name = (c: number) => `${Code[c] ?? "?"}(${c})`;
    throw new AssertionFailed(`error code: expected ${name(expected)}, got ${name(err.code)} — ${describeError(err)}`);
  }
}


function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}


// Every byte value, so a base64 (text mode) or framing bug that touches 0x00/0x80/0xff shows.
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Describes a thrown grpc-web RpcError / ConnectError / anything, for failure reasons. */
function describeError(e: unknown): string {
  if (e instanceof ConnectError) return `ConnectError code=${Code[e.code]}(${e.code}) message=${show(e.rawMessage)}`;
  if (e && typeof e === "object" && "code" in e) {
    const r = e as { code: unknown; message?: unknown };
    return `RpcError code=${String(r.code)} message=${show(r.message)}`;
  }
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

// ---------------------------------------------------------------------------------------------
// grpc-web (the official client) without protoc-gen-grpc-web stubs.
//
// grpc-web 2.x's MethodDescriptor keeps only the name and the two functions: it calls
// requestSerializeFn(request) to get the message bytes and responseDeserializeFn(bytes) for each
// data frame; the two constructor arguments are never used. So the request object can be a
// protobuf-es message and the (de)serializers are toBinary/fromBinary with the generated schemas.

type MethodType = "unary" | "server_streaming";

function descriptor<I extends DescMessage, O extends DescMessage>(
  method: string,
  type: MethodType,
  input: I,
  output: O,
): MethodDescriptor<MessageShape<I>, MessageShape<O>> {
  const unusedCtor = Object as unknown as new (...args: unknown[]) => never;
  return new MethodDescriptor<MessageShape<I>, MessageShape<O>>(
    SERVICE + method,
    type,
    unusedCtor,
    unusedCtor,
    (req: MessageShape<I>) => toBinary(input, req),
    (bytes: Uint8Array) => fromBinary(output, bytes),
  );
}

const gwEcho = descriptor("Echo", "unary", EchoRequestSchema, EchoResponseSchema);
const gwFail = descriptor("Fail", "unary", FailRequestSchema, EchoResponseSchema);
const gwServerStream = descriptor("ServerStream", "server_streaming", StreamRequestSchema, EchoResponseSchema);

interface GwUnaryResult {
  err: RpcError | null;
  resp: EchoResponse | null;
  headers: Metadata | null;
  status: Status | null;
  elapsedMs: number;
}

/**
 * One unary call through rpcCall, collecting everything the client reports. The callback is
 * the last thing grpc-web fires on success ('status' from the trailer frame and 'metadata' from
 * the response headers come first), and on error it fires as soon as the error status is known.
 */
function gwUnary<I extends DescMessage>(
  client: GrpcWebClientBase,
  target: string,
  desc: MethodDescriptor<MessageShape<I>, EchoResponse>,
  req: MessageShape<I>,
  metadata: Metadata = {},
): Promise<GwUnaryResult> {
  return new Promise((resolve) => {
    const out: GwUnaryResult = { err: null, resp: null, headers: null, status: null, elapsedMs: 0 };
    const start = performance.now();
    const stream = client.rpcCall(target + desc.getName(), req, metadata, desc, (err, resp) => {
      out.err = err ?? null;
      out.resp = resp ?? null;
      out.elapsedMs = performance.now() - start;
      resolve(out);
    });
    stream.on("metadata", (h) => (out.headers = h));
    stream.on("status", (s) => (out.status = s));
  });
}

interface GwStreamResult {
  messages: EchoResponse[];
  status: Status | null;
  error: RpcError | null;
  ended: boolean;
}

/** Runs a server-streaming call to completion ('end' or 'error'). */
function gwStream(client: GrpcWebClientBase, target: string, req: MessageShape<typeof StreamRequestSchema>) {
  return new Promise<GwStreamResult>((resolve) => {
    const out: GwStreamResult = { messages: [], status: null, error: null, ended: false };
    const stream = client.serverStreaming(target + gwServerStream.getName(), req, {}, gwServerStream);
    stream.on("data", (m) => out.messages.push(m));
    stream.on("status", (s) => (out.status = s));
    stream.on("error", (e) => {
      out.error = e;
      resolve(out);
    });
    stream.on("end", () => {
      out.ended = true;
      resolve(out);
    });
  });
}

function checkGwStream(r: GwStreamResult, count: number, size: number): void {
  check(r.error === null, `stream failed: ${describeError(r.error)} after ${r.messages.length} messages`);
  eq(r.messages.length, count, "message count");
  r.messages.forEach((m, i) => {
    eq(m.index, i, `messages[${i}].index`);
    eq(m.payload.length, size, `messages[${i}].payload.length`);
  });
  check(r.status !== null, "no 'status' event (trailer frame with grpc-status missing?)");
  eq(r.status.code, 0, "status.code");
  check(r.ended, "no 'end' event");
}

function gwClient(format: "text" | "binary"): GrpcWebClientBase {
  return new GrpcWebClientBase({ format });
}

function gwUnaryEcho(format: "text" | "binary") {
  return async (target: string) => {
    const message = `hello portico (${format}) ✓`;
    const r = await gwUnary(gwClient(format), target, gwEcho, create(EchoRequestSchema, { message, payload: ALL_BYTES }));
    check(r.err === null, `call failed: ${describeError(r.err)}`);
    check(r.resp !== null, "no response message");
    eq(r.resp.message, message, "message");
    check(bytesEqual(r.resp.payload, ALL_BYTES), `payload differs (got ${r.resp.payload.length} bytes, sent 256)`);
    eq(r.resp.index, 0, "index");
  };
}

// ---------------------------------------------------------------------------------------------
// @connectrpc/connect-web, gRPC-Web protocol over fetch.

function connectClient(target: string) {
  return createClient(DemoService, createGrpcWebTransport({ baseUrl: target, useBinaryFormat: true }));
}

/** Awaits `p`, expecting it to reject with a ConnectError; returns it. */

// ---------------------------------------------------------------------------------------------
// The cases, in the order they run.

const cases: Record<string, (target: string) => Promise<void>> = {
  "grpcweb-text/unary-echo": gwUnaryEcho("text"),

  "grpcweb-text/metadata": async (target) => {
    const r = await gwUnary(gwClient("text"), target, gwEcho, create(EchoRequestSchema, { message: "md" }), {
      "x-echo-foo": "bar",
    });
    check(r.err === null, `call failed: ${describeError(r.err)}`);
    eq(r.resp?.message, "md", "message");
    eq(r.resp?.metadata["x-echo-foo"], "bar", "EchoResponse.metadata['x-echo-foo'] (what the service received)");
    check(r.headers !== null, "no 'metadata' event");
    eq(
      r.headers["x-echo-foo"],
      "bar",
      `response header x-echo-foo (must be in Access-Control-Expose-Headers; headers seen: ${show(r.headers)})`,
    );
    check(r.status !== null, "no 'status' event");
    eq(r.status.code, 0, "status.code");
    eq(r.status.metadata?.["x-trailer-foo"], "bar", `trailer x-trailer-foo (trailers seen: ${show(r.status.metadata)})`);
  },

  "grpcweb-text/unicode-status": async (target) => {
    // Non-ASCII and a literal '%': grpc-message must be percent-encoded on the wire, which the
    // client undoes with decodeURIComponent (an unencoded "100%" would make that throw).
    const message = "nöt føund ✓ 100%";
    const r = await gwUnary(gwClient("text"), target, gwFail, create(FailRequestSchema, { code: 5, message }));
    check(r.err !== null, "call succeeded, expected NOT_FOUND");
    eqCode(r.err, 5);
    eq(r.err.message, message, "error message");
  },

  "grpcweb-text/deadline": async (target) => {
    // grpc-web turns `deadline` metadata into grpc-timeout (~300m) and also arms an XHR timeout
    // of max(1 s, 1.1 × timeout). Finishing well under 1 s proves the gateway (not that XHR
    // timer) enforced the deadline.
    const r = await gwUnary(gwClient("text"), target, gwEcho, create(EchoRequestSchema, { message: "slow", sleepMs: 3000 }), {
      deadline: String(Date.now() + 300),
    });
    check(r.err !== null, `call succeeded after ${Math.round(r.elapsedMs)} ms, expected DEADLINE_EXCEEDED`);
    eqCode(r.err, 4);
    check(
      r.elapsedMs < 950,
      `DEADLINE_EXCEEDED came after ${Math.round(r.elapsedMs)} ms: the client's own 1 s XHR timeout fired, ` +
        `the gateway did not enforce grpc-timeout`,
    );
  },

  "grpcweb-text/server-stream": async (target) => {
    const r = await gwStream(gwClient("text"), target, create(StreamRequestSchema, { count: 5, size: 10 }));
    checkGwStream(r, 5, 10);
  },

  "grpcweb-text/stream-cancel": async (target) => {
    const client = gwClient("text");
    const req = create(StreamRequestSchema, { count: 1000, intervalMs: 50, size: 4 });
    let data = 0;
    let error: RpcError | null = null;
    let ended = false;
    let stream: ClientReadableStream<EchoResponse>;
    // Resolves on the 2nd message, so this also checks that text mode delivers messages
    // incrementally (the gateway flushes each frame) rather than at the end of the response.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new AssertionFailed(`only ${data} messages in 5 s (responses buffered?)`)), 5000);
      stream = client.serverStreaming(target + gwServerStream.getName(), req, {}, gwServerStream);
      stream.on("data", () => {
        data++;
        if (data === 2) {
          clearTimeout(t);
          stream.cancel();
          resolve();
        }
      });
      stream.on("error", (e) => {
        error = e;
        clearTimeout(t);
        reject(new AssertionFailed(`stream failed before cancel: ${describeError(e)} after ${data} messages`));
      });
      stream.on("end", () => (ended = true));
    });
    // 800 ms = 16 more server intervals: any of them arriving means cancel() did not stop the stream.
    await sleep(800);
    eq(data, 2, "data events after cancel()");
    check(!ended, "'end' fired after cancel()");
    check(error === null, `'error' fired after cancel(): ${describeError(error)}`);
  },

  "grpcweb-binary/unary-echo": gwUnaryEcho("binary"),

  "grpcweb-binary/fail-code": async (target) => {
    const r = await gwUnary(gwClient("binary"), target, gwFail, create(FailRequestSchema, { code: 7, message: "denied" }));
    check(r.err !== null, "call succeeded, expected PERMISSION_DENIED");
    eqCode(r.err, 7);
    eq(r.err.message, "denied", "error message");
  },

  "grpcweb-binary/server-stream": async (target) => {
    const r = await gwStream(gwClient("binary"), target, create(StreamRequestSchema, { count: 3, size: 7 }));
    checkGwStream(r, 3, 7);
  },

  "connect-grpcweb/unary-metadata": async (target) => {
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const resp = await connectClient(target).echo(
      { message: "connect ✓", payload: ALL_BYTES },
      { headers: { "x-echo-foo": "bar" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    eq(resp.message, "connect ✓", "message");
    check(bytesEqual(resp.payload, ALL_BYTES), `payload differs (got ${resp.payload.length} bytes, sent 256)`);
    eq(resp.metadata["x-echo-foo"], "bar", "EchoResponse.metadata['x-echo-foo']");
    check(header !== undefined, "onHeader not called");
    eq(header.get("x-echo-foo"), "bar", "response header x-echo-foo (must be in Access-Control-Expose-Headers)");
    check(trailer !== undefined, "onTrailer not called");
    eq(trailer.get("x-trailer-foo"), "bar", `trailer x-trailer-foo (trailers: ${show([...trailer.keys()])})`);
  },

  "connect-grpcweb/deadline": async (target) => {
    const start = performance.now();
    const err = await expectConnectError(connectClient(target).echo({ message: "slow", sleepMs: 3000 }, { timeoutMs: 300 }));
    const elapsed = performance.now() - start;
    eqCode(err, Code.DeadlineExceeded);
    check(elapsed < 1500, `took ${Math.round(elapsed)} ms`);
  },

  "connect-grpcweb/fail-precondition": async (target) => {
    const err = await expectConnectError(connectClient(target).fail({ code: 9, message: "precondition" }));
    eqCode(err, Code.FailedPrecondition);
    eq(err.rawMessage, "precondition", "rawMessage");
  },

  "connect-grpcweb/fail-details": async (target) => {
    const err = await expectConnectError(
      connectClient(target).fail({ code: 3, message: "with details", withDetails: true }),
    );
    eqCode(err, Code.InvalidArgument);
    check(err.details.length >= 1, "no error details (grpc-status-details-bin missing or unreadable)");
    const d = err.details[0];
    check("type" in d && d.type.length > 0, `details[0] has no type name: ${show(d)}`);
  },

  "connect-grpcweb/server-stream": async (target) => {
    const got: EchoResponse[] = [];
    for await (const m of connectClient(target).serverStream({ count: 5, size: 1000 })) got.push(m);
    eq(got.length, 5, "message count");
    got.forEach((m, i) => {
      eq(m.index, i, `messages[${i}].index`);
      eq(m.payload.length, 1000, `messages[${i}].payload.length`);
    });
  },

  "connect-grpcweb/abort": async (target) => {
    const ac = new AbortController();
    let n = 0;
    const err = await expectConnectError(
      (async () => {
        for await (const _ of connectClient(target).serverStream({ count: 1000, intervalMs: 50 }, { signal: ac.signal })) {
          if (++n === 2) ac.abort();
        }
      })(),
    );
    eqCode(err, Code.Canceled);
    eq(n, 2, "messages received");
  },
};

serveCases(cases, describeError);
