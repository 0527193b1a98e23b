// A @connectrpc/connect Transport that speaks gRPC-Web over WebSocket in improbable-eng's "grpc-websockets"
// format, which Portico serves: browsers get every call type, client and bidirectional streaming included,
// with Connect-ES's generated clients. Binary (proto) messages only.
//
// The wire, per call (one WebSocket each, subprotocol "grpc-websockets"; Portico's GrpcWebSocketWire has the
// full notes):
//   client -> server: one message with the request headers as "name: value\r\n" lines; then 0x00 + bytes of
//                     gRPC-Web frames per request message; finally the single byte 0x01 (finish-send).
//   server -> client: a 0x80 frame with the response headers, gRPC-Web data frames, a 0x80 trailer frame,
//                     then close code 1000. Closing the WebSocket cancels the call.

import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { DescMethodStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type StreamResponse,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { requestHeader, trailerParse } from "@connectrpc/connect/protocol-grpc-web";

export interface WebSocketTransportOptions {
  /** Where Portico is, as for the HTTP transports: "https://api.example.com" (becomes wss://...). */
  baseUrl: string;
}

const DATA = 0x00;
const FINISH_SEND = new Uint8Array([0x01]);
const END_FLAG = 0x80;

/** Creates the transport. Every call opens its own WebSocket. */
export function createWebSocketTransport(options: WebSocketTransportOptions): Transport {
  const base = options.baseUrl.replace(/\/+$/, "").replace(/^http(s?):\/\//, "ws$1://");
  if (!/^wss?:\/\//.test(base)) throw new Error(`baseUrl must be http(s)://..., got ${options.baseUrl}`);
  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      _contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const call = new WebSocketCall(base, method, signal, timeoutMs, header);
      call.send(toBinary(method.input, create(method.input, input)));
      call.finishSend();
      let message: MessageShape<O> | undefined;
      for await (const bytes of call.messages()) {
        if (message !== undefined) throw new ConnectError("protocol error: more than one response message", Code.Unimplemented);
        message = fromBinary(method.output, bytes);
      }
      if (message === undefined) throw new ConnectError("protocol error: missing response message", Code.Unimplemented);
      return { stream: false, service: method.parent, method, header: await call.header, message, trailer: call.trailer };
    },

    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      _contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const call = new WebSocketCall(base, method, signal, timeoutMs, header);
      // Requests go out as the caller produces them, whatever the responses do: full duplex.
      void (async () => {
        try {
          for await (const request of input) call.send(toBinary(method.input, create(method.input, request)));
          call.finishSend();
        } catch (e) {
          call.abort(ConnectError.from(e, Code.Canceled));
        }
      })();
      const responseHeader = await call.header;
      async function* messages(): AsyncGenerator<MessageShape<O>> {
        for await (const bytes of call.messages()) yield fromBinary(method.output, bytes);
      }
      return { stream: true, service: method.parent, method, header: responseHeader, message: messages(), trailer: call.trailer };
    },
  };
}

type Item = { bytes: Uint8Array } | { end: ConnectError | undefined };

/** One call: its WebSocket, the request side, and the response as headers, messages and trailers. */
class WebSocketCall {
  readonly trailer = new Headers();
  readonly header: Promise<Headers>;
  private resolveHeader!: (h: Headers) => void;
  private rejectHeader!: (e: ConnectError) => void;
  private readonly ws: WebSocket;
  private readonly pending: Uint8Array[] = [];
  private readonly items: Item[] = [];
  private wake: (() => void) | undefined;
  private buffer = new Uint8Array(0);
  private headers: Headers | undefined;
  private trailers: Headers | undefined;
  private ended = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    base: string,
    method: { parent: { typeName: string }; name: string },
    private readonly signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    userHeader: HeadersInit | undefined,
  ) {
    this.header = new Promise((resolve, reject) => {
      this.resolveHeader = resolve;
      this.rejectHeader = reject;
    });
    this.header.catch(() => undefined); // Seen through messages() too; never an unhandled rejection.
    // content-type application/grpc-web+proto, x-grpc-web, grpc-timeout from timeoutMs, the caller's headers.
    const headers = requestHeader(true, timeoutMs, userHeader, false);
    this.ws = new WebSocket(`${base}/${method.parent.typeName}/${method.name}`, ["grpc-websockets"]);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      let block = "";
      headers.forEach((value, name) => (block += `${name}: ${value}\r\n`));
      this.ws.send(new TextEncoder().encode(block));
      this.pending.splice(0).forEach((m) => this.ws.send(m));
    };
    this.ws.onmessage = (e: MessageEvent) => this.onBytes(new Uint8Array(e.data as ArrayBuffer));
    this.ws.onclose = (e: CloseEvent) => this.onClose(e);
    if (timeoutMs !== undefined && timeoutMs > 0) {
      // Portico enforces grpc-timeout; this only covers a server that cannot be reached.
      this.timer = setTimeout(() => this.abort(new ConnectError("the deadline was exceeded", Code.DeadlineExceeded)), timeoutMs + 1000);
    }
    if (signal?.aborted) this.abort(new ConnectError("the operation was aborted", Code.Canceled));
    signal?.addEventListener("abort", () => this.abort(new ConnectError("the operation was aborted", Code.Canceled)));
  }

  /** One request message: control byte 0, then its gRPC-Web frame. */
  send(message: Uint8Array): void {
    const out = new Uint8Array(6 + message.length);
    out[0] = DATA;
    new DataView(out.buffer).setUint32(2, message.length);
    out.set(message, 6);
    this.post(out);
  }

  finishSend(): void {
    this.post(FINISH_SEND);
  }

  /** Ends the call from this side: closing the WebSocket cancels it upstream. */
  abort(reason: ConnectError): void {
    if (this.ended) return;
    this.items.length = 0; // Nothing more reaches the caller once it gave up, not even what already arrived.
    this.finish(reason);
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }

  /** The response messages' bytes; throws the call's error after the last one. */
  async *messages(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const item = this.items.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      if ("bytes" in item) {
        yield item.bytes;
      } else {
        if (item.end) throw item.end;
        return;
      }
    }
  }

  private post(bytes: Uint8Array): void {
    if (this.ended) return;
    if (this.ws.readyState === WebSocket.CONNECTING) this.pending.push(bytes);
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  private push(item: Item): void {
    this.items.push(item);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Splits the response into gRPC-Web frames, whatever the message boundaries. */
  private onBytes(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    let at = 0;
    while (joined.length - at >= 5) {
      const length = new DataView(joined.buffer, at + 1, 4).getUint32(0);
      if (joined.length - at - 5 < length) break;
      const flag = joined[at];
      const payload = joined.slice(at + 5, at + 5 + length);
      at += 5 + length;
      if ((flag & END_FLAG) === 0) {
        this.push({ bytes: payload });
      } else if (this.headers === undefined) {
        this.headers = trailerParse(payload);
        this.resolveHeader(this.headers);
      } else {
        this.trailers = trailerParse(payload);
      }
    }
    this.buffer = joined.slice(at);
  }

  private onClose(e: CloseEvent): void {
    // The trailers (or a headers-only answer) say how the call ended; no status at all is a broken call.
    const status = this.trailers ?? (this.headers?.has("grpc-status") ? this.headers : undefined);
    if (status === undefined) {
      this.finish(new ConnectError(`the WebSocket closed without a gRPC status (close code ${e.code})`,
        e.code === 1000 ? Code.Internal : Code.Unavailable));
      return;
    }
    status.forEach((value, name) => this.trailer.set(name, value));
    this.finish(findTrailerError(status));
  }

  private finish(error: ConnectError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    if (this.headers === undefined) {
      if (error) this.rejectHeader(error);
      else this.resolveHeader(new Headers());
    }
    this.push({ end: error });
  }
}
