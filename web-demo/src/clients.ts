// The five ways the demo app calls Portico, behind one small interface so the page can show the same
// four calls (unary with metadata, server stream with cancel, deadline, error with details) for each:
//
//   grpc-web text / binary   the official `grpc-web` client (GrpcWebClientBase), messages serialised by
//                            @bufbuild/protobuf: no protoc-gen-grpc-web binary is needed
//   connect JSON / binary    @connectrpc/connect-web's Connect transport, GET for side-effect-free methods
//   connect gRPC-Web         @connectrpc/connect-web's gRPC-Web transport
//
// This is the code the README's "use Portico from your web app" section is built from.

import { create, createRegistry, fromBinary, toBinary, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { GrpcWebClientBase, MethodDescriptor, type Metadata, type RpcError, type Status } from "grpc-web";
import { ErrorInfoSchema, StatusSchema } from "../gen/google/rpc/demo_details_pb.js";
import {
  DemoService,
  EchoRequestSchema,
  EchoResponseSchema,
  FailRequestSchema,
  StatsRequestSchema,
  StatsResponseSchema,
  StreamRequestSchema,
  type EchoRequest,
  type EchoResponse,
  type FailRequest,
  type StatsResponse,
  type StreamRequest,
} from "../gen/portico/demo/v1/demo_pb.js";

export type ClientId = "grpcweb-text" | "grpcweb-binary" | "connect-json" | "connect-binary" | "connect-grpcweb";

export const CLIENT_IDS: ClientId[] = ["grpcweb-text", "grpcweb-binary", "connect-json", "connect-binary", "connect-grpcweb"];

/** A decoded error detail: its type name and its fields as JSON (or its size when the type is unknown). */
export interface Detail {
  type: string;
  value: unknown;
}

/** How a call ended, the same for every client: code 0 is OK. */
export interface Outcome<R> {
  code: number;
  message: string;
  response?: R;
  headers: [string, string][];
  trailers: [string, string][];
  details: Detail[];
}

type Init<T> = Partial<Omit<T, "$typeName">>;

export interface DemoClient {
  echo(request: Init<EchoRequest>, metadata: Record<string, string>, timeoutMs?: number): Promise<Outcome<EchoResponse>>;
  fail(request: Init<FailRequest>): Promise<Outcome<EchoResponse>>;
  stats(): Promise<StatsResponse>;
  /** Resolves when the stream ends; aborting `signal` cancels it (code CANCELLED). */
  serverStream(request: Init<StreamRequest>, onMessage: (m: EchoResponse) => void, signal: AbortSignal): Promise<Outcome<void>>;
}

export function newClient(id: ClientId, baseUrl: string): DemoClient {
  switch (id) {
    case "grpcweb-text":
      return new GrpcWebDemoClient(baseUrl, "text");
    case "grpcweb-binary":
      return new GrpcWebDemoClient(baseUrl, "binary");
    case "connect-json":
      return new ConnectDemoClient(createConnectTransport({ baseUrl, useBinaryFormat: false, useHttpGet: true }));
    case "connect-binary":
      return new ConnectDemoClient(createConnectTransport({ baseUrl, useBinaryFormat: true, useHttpGet: true }));
    case "connect-grpcweb":
      return new ConnectDemoClient(createGrpcWebTransport({ baseUrl, useBinaryFormat: true }));
  }
}

export const CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

// ---------------------------------------------------------------------------------------------
// Error details: google.rpc.Status holds them as google.protobuf.Any; the registry knows the types the
// demo service sends. Unknown types are shown by name and size.

const detailTypes = createRegistry(ErrorInfoSchema);

function decodeAny(any: Any): Detail {
  const type = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
  const message = anyUnpack(any, detailTypes);
  return message ? { type, value: toJson(detailTypes.getMessage(type)!, message, { registry: detailTypes }) } : { type, value: `${any.value.length} bytes` };
}

// ---------------------------------------------------------------------------------------------
// The official grpc-web client. Its MethodDescriptor needs only the name, the method type and the two
// (de)serialising functions: toBinary/fromBinary with the generated schemas do that job.

const SERVICE = "/portico.demo.v1.DemoService/";

function descriptor<I extends DescMessage, O extends DescMessage>(method: string, type: "unary" | "server_streaming", input: I, output: O) {
  const unusedCtor = Object as unknown as new (...args: unknown[]) => never;
  return new MethodDescriptor<MessageShape<I>, MessageShape<O>>(
    SERVICE + method, type, unusedCtor, unusedCtor,
    (request: MessageShape<I>) => toBinary(input, request),
    (bytes: Uint8Array) => fromBinary(output, bytes),
  );
}

const gwEcho = descriptor("Echo", "unary", EchoRequestSchema, EchoResponseSchema);
const gwFail = descriptor("Fail", "unary", FailRequestSchema, EchoResponseSchema);
const gwStats = descriptor("Stats", "unary", StatsRequestSchema, StatsResponseSchema);
const gwServerStream = descriptor("ServerStream", "server_streaming", StreamRequestSchema, EchoResponseSchema);

const STATUS_DETAILS = "grpc-status-details-bin";
/** Shown as the outcome's code, message and details rather than as metadata. */
const STATUS_KEYS = ["grpc-status", "grpc-message", STATUS_DETAILS];

/** Metadata as sorted pairs, without the status keys. */
function pairs(md: Metadata | Headers | undefined | null): [string, string][] {
  const entries = md instanceof Headers ? [...md.entries()] : Object.entries(md ?? {});
  return entries.filter(([k]) => !STATUS_KEYS.includes(k)).sort(([a], [b]) => a.localeCompare(b));
}

/** grpc-status-details-bin: a base64 google.rpc.Status. */
function gwDetails(md: Metadata | undefined | null): Detail[] {
  const b64 = md?.[STATUS_DETAILS];
  if (!b64) return [];
  const bin = atob(b64.replace(/-/g, "+").replace(/_/g, "/"));
  const status = fromBinary(StatusSchema, Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  return status.details.map(decodeAny);
}

class GrpcWebDemoClient implements DemoClient {
  private readonly client: GrpcWebClientBase;

  constructor(private readonly baseUrl: string, format: "text" | "binary") {
    this.client = new GrpcWebClientBase({ format });
  }

  echo(request: Init<EchoRequest>, metadata: Record<string, string>, timeoutMs?: number) {
    // grpc-web sends a "deadline" (epoch ms) entry as the grpc-timeout header.
    const md = timeoutMs ? { ...metadata, deadline: String(Date.now() + timeoutMs) } : metadata;
    return this.unary(gwEcho, create(EchoRequestSchema, request), md);
  }

  fail(request: Init<FailRequest>) {
    return this.unary(gwFail, create(FailRequestSchema, request), {});
  }

  async stats() {
    const outcome = await this.unary(gwStats, create(StatsRequestSchema), {});
    if (!outcome.response) throw new Error(`Stats failed: ${CODE_NAMES[outcome.code]} ${outcome.message}`);
    return outcome.response;
  }

  private unary<I extends DescMessage, R>(desc: MethodDescriptor<MessageShape<I>, R>, request: MessageShape<I>, metadata: Metadata): Promise<Outcome<R>> {
    return new Promise((resolve) => {
      let headers: Metadata | undefined;
      let status: Status | undefined;
      // The callback comes last: after 'metadata' (response headers) and 'status' (the trailer frame).
      const call = this.client.rpcCall(this.baseUrl + desc.getName(), request, metadata, desc, (err: RpcError | null, response: R) => {
        if (err) {
          resolve({ code: err.code, message: err.message, headers: pairs(headers), trailers: pairs(err.metadata), details: gwDetails(err.metadata) });
        } else {
          resolve({ code: 0, message: "", response, headers: pairs(headers), trailers: pairs(status?.metadata), details: [] });
        }
      });
      call.on("metadata", (h) => (headers = h));
      call.on("status", (s) => (status = s));
    });
  }

  serverStream(request: Init<StreamRequest>, onMessage: (m: EchoResponse) => void, signal: AbortSignal): Promise<Outcome<void>> {
    return new Promise((resolve) => {
      let headers: Metadata | undefined;
      let status: Status | undefined;
      const stream = this.client.serverStreaming(this.baseUrl + gwServerStream.getName(), create(StreamRequestSchema, request), {}, gwServerStream);
      const cancel = () => {
        // cancel() aborts the request: the browser resets the HTTP/2 stream (or closes the HTTP/1.1
        // connection), Portico cancels the upstream call. grpc-web fires no event after it.
        stream.cancel();
        resolve({ code: Code.Canceled, message: "cancelled by the page", headers: pairs(headers), trailers: [], details: [] });
      };
      signal.addEventListener("abort", cancel, { once: true });
      stream.on("metadata", (h) => (headers = h));
      stream.on("data", onMessage);
      stream.on("status", (s) => (status = s));
      stream.on("error", (e) => {
        signal.removeEventListener("abort", cancel);
        resolve({ code: e.code, message: e.message, headers: pairs(headers), trailers: pairs(e.metadata), details: gwDetails(e.metadata) });
      });
      stream.on("end", () => {
        signal.removeEventListener("abort", cancel);
        resolve({ code: 0, message: "", headers: pairs(headers), trailers: pairs(status?.metadata), details: [] });
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// connect-web: one generated-service client over the chosen transport.

function failed<R>(e: unknown, headers: Headers | undefined): Outcome<R> {
  const err = ConnectError.from(e);
  return {
    code: err.code,
    message: err.rawMessage,
    headers: pairs(headers),
    // An error's metadata holds the response's headers and trailers together.
    trailers: pairs(err.metadata),
    details: err.details.map((d) => ("desc" in d ? { type: d.desc.typeName, value: d.value } : decodeAny({ $typeName: "google.protobuf.Any", typeUrl: d.type, value: d.value }))),
  };
}

class ConnectDemoClient implements DemoClient {
  private readonly client: Client<typeof DemoService>;

  constructor(transport: Transport) {
    this.client = createClient(DemoService, transport);
  }

  async echo(request: Init<EchoRequest>, metadata: Record<string, string>, timeoutMs?: number): Promise<Outcome<EchoResponse>> {
    let headers: Headers | undefined;
    let trailers: Headers | undefined;
    try {
      const response = await this.client.echo(request, { headers: metadata, timeoutMs, onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) });
      return { code: 0, message: "", response, headers: pairs(headers), trailers: pairs(trailers), details: [] };
    } catch (e) {
      return failed(e, headers);
    }
  }

  async fail(request: Init<FailRequest>): Promise<Outcome<EchoResponse>> {
    let headers: Headers | undefined;
    try {
      const response = await this.client.fail(request, { onHeader: (h) => (headers = h) });
      return { code: 0, message: "", response, headers: pairs(headers), trailers: [], details: [] };
    } catch (e) {
      return failed(e, headers);
    }
  }

  stats() {
    return this.client.stats({});
  }

  async serverStream(request: Init<StreamRequest>, onMessage: (m: EchoResponse) => void, signal: AbortSignal): Promise<Outcome<void>> {
    let headers: Headers | undefined;
    let trailers: Headers | undefined;
    try {
      // Aborting the signal aborts the fetch: Portico sees the stream reset and cancels the upstream call.
      for await (const m of this.client.serverStream(request, { signal, onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) })) {
        onMessage(m);
      }
      return { code: 0, message: "", headers: pairs(headers), trailers: pairs(trailers), details: [] };
    } catch (e) {
      return failed(e, headers);
    }
  }
}

export type { EchoResponse, StatsResponse };
