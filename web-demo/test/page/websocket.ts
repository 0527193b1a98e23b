// Browser cases for gRPC-Web over WebSocket through Portico: improbable-eng's own client with its WebSocket
// transport (grpc.WebsocketTransport(), from npm, unchanged) and our Connect-ES transport
// (src/websocket-transport.ts), on every call type of the demo service. Bundled into dist/websocket.js and
// run by `test/browser-clients.mjs --page websocket`. Cases named other-origin/* run in a page of another
// origin, which Portico must refuse at the upgrade.

import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { grpc } from "@improbable-eng/grpc-web";
import {
  DemoService,
  EchoRequestSchema,
  EchoResponseSchema,
  FailRequestSchema,
  StreamRequestSchema,
  type EchoResponse,
} from "../../gen/portico/demo/v1/demo_pb.js";
import { mountChat } from "../../src/chat.js";
import { createWebSocketTransport } from "../../src/websocket-transport.js";
import { AssertionFailed, check, eq, expectConnectError, serveCases, sleep } from "./harness.js";


// ---------------------------------------------------------------------------------------------
// improbable-eng's client without protoc-gen-ts stubs: it only needs serializeBinary() on requests and a
// deserializeBinary() on the response "class", so protobuf-es messages are wrapped.

interface Wrapped<T> extends grpc.ProtobufMessage {
  value: T;
}

function wrap<D extends DescMessage>(schema: D, value: MessageShape<D>): Wrapped<MessageShape<D>> {
  return { value, serializeBinary: () => toBinary(schema, value), toObject: () => value as object };
}

function methodOf<I extends DescMessage, O extends DescMessage>(
  name: string, requestStream: boolean, responseStream: boolean, input: I, output: O,
): grpc.MethodDefinition<Wrapped<MessageShape<I>>, Wrapped<MessageShape<O>>> {
  const type = <D extends DescMessage>(schema: D) =>
    ({ deserializeBinary: (bytes: Uint8Array) => wrap(schema, fromBinary(schema, bytes)) }) as unknown as grpc.ProtobufMessageClass<Wrapped<MessageShape<D>>>;
  return {
    methodName: name,
    service: { serviceName: "portico.demo.v1.DemoService" },
    requestStream,
    responseStream,
    requestType: type(input),
    responseType: type(output),
  };
}

const imEcho = methodOf("Echo", false, false, EchoRequestSchema, EchoResponseSchema);
const imFail = methodOf("Fail", false, false, FailRequestSchema, EchoResponseSchema);
const imServerStream = methodOf("ServerStream", false, true, StreamRequestSchema, EchoResponseSchema);
const imClientStream = methodOf("ClientStream", true, false, EchoRequestSchema, EchoResponseSchema);
const imBidi = methodOf("BidiStream", true, true, EchoRequestSchema, EchoResponseSchema);

interface ImCall<Req> {
  client: grpc.Client<Wrapped<Req>, Wrapped<EchoResponse>>;
  messages: EchoResponse[];
  headers: grpc.Metadata | null;
  end: Promise<{ code: grpc.Code; message: string; trailers: grpc.Metadata; ms: number }>;
  nextMessage(): Promise<EchoResponse>;
}

function imCall<Req>(target: string, method: grpc.MethodDefinition<Wrapped<Req>, Wrapped<EchoResponse>>,
                     metadata: grpc.Metadata.ConstructorArg = {}): ImCall<Req> {
  const client = grpc.client(method, { host: target, transport: grpc.WebsocketTransport() }) as unknown as
      grpc.Client<Wrapped<Req>, Wrapped<EchoResponse>>;
  const start = performance.now();
  const waiting: ((m: EchoResponse) => void)[] = [];
  let taken = 0; // Messages handed out by nextMessage(): several may arrive in one WebSocket message.
  const call: ImCall<Req> = {
    client,
    messages: [],
    headers: null,
    end: new Promise((resolve) => {
      client.onEnd((code, message, trailers) => resolve({ code, message, trailers, ms: performance.now() - start }));
    }),
    nextMessage: () => new Promise((resolve) => {
      if (taken < call.messages.length) resolve(call.messages[taken++]);
      else waiting.push(resolve);
    }),
  };
  client.onHeaders((h) => (call.headers = h));
  client.onMessage((m) => {
    call.messages.push(m.value);
    const waiter = waiting.shift();
    if (waiter) {
      taken++;
      waiter(m.value);
    }
  });
  client.start(metadata);
  return call;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => { throw new AssertionFailed(`${what}: nothing within ${ms} ms`); })]);
}

// ---------------------------------------------------------------------------------------------
// Connect-ES with the WebSocket transport.

function connectClient(target: string) {
  return createClient(DemoService, createWebSocketTransport({ baseUrl: target }));
}


// ---------------------------------------------------------------------------------------------

const cases: Record<string, (target: string) => Promise<void>> = {
  "improbable/unary": async (target) => {
    const call = imCall(target, imEcho, { "x-echo-foo": "bar" });
    call.client.send(wrap(EchoRequestSchema, create(EchoRequestSchema, { message: "hi ✓" })));
    call.client.finishSend();
    const end = await call.end;
    eq(end.code, grpc.Code.OK, `code (${end.message})`);
    eq(call.messages.length, 1, "messages");
    eq(call.messages[0].message, "hi ✓", "message");
    eq(call.messages[0].metadata["x-echo-foo"], "bar", "metadata the service received");
    eq(call.headers?.get("x-echo-foo")[0], "bar", "response header x-echo-foo");
    eq(end.trailers.get("x-trailer-foo")[0], "bar", "trailer x-trailer-foo");
  },

  "improbable/server-stream": async (target) => {
    const call = imCall(target, imServerStream);
    call.client.send(wrap(StreamRequestSchema, create(StreamRequestSchema, { count: 5, size: 10 })));
    call.client.finishSend();
    const end = await call.end;
    eq(end.code, grpc.Code.OK, `code (${end.message})`);
    eq(call.messages.length, 5, "messages");
    call.messages.forEach((m, i) => eq(m.index, i, `messages[${i}].index`));
  },

  "improbable/client-stream": async (target) => {
    const call = imCall(target, imClientStream);
    for (const text of ["a", "b", "c"]) call.client.send(wrap(EchoRequestSchema, create(EchoRequestSchema, { message: text })));
    call.client.finishSend();
    const end = await call.end;
    eq(end.code, grpc.Code.OK, `code (${end.message})`);
    eq(call.messages[0]?.message, "a,b,c", "joined messages");
    eq(call.messages[0]?.index, 3, "count");
  },

  "improbable/bidi": async (target) => {
    const call = imCall(target, imBidi);
    for (let i = 0; i < 3; i++) {
      const next = call.nextMessage();
      call.client.send(wrap(EchoRequestSchema, create(EchoRequestSchema, { message: `m${i}` })));
      // The answer arrives while the request stream is still open: full duplex.
      const answer = await withTimeout(next, 5000, `answer to m${i}`);
      eq(answer.message, `m${i}`, "answer");
      eq(answer.index, i, "index");
    }
    call.client.finishSend();
    const end = await call.end;
    eq(end.code, grpc.Code.OK, `code (${end.message})`);
  },

  "improbable/cancel": async (target) => {
    const call = imCall(target, imServerStream);
    let ended = false;
    void call.end.then(() => (ended = true));
    call.client.send(wrap(StreamRequestSchema, create(StreamRequestSchema, { count: 1000, intervalMs: 50 })));
    call.client.finishSend();
    await withTimeout(call.nextMessage(), 5000, "first message");
    await withTimeout(call.nextMessage(), 5000, "second message");
    call.client.close(); // ws.close(): Portico cancels the upstream call (the Java test counts it at the backend).
    const atClose = call.messages.length;
    await sleep(800);
    eq(call.messages.length, atClose, "messages after close()");
    check(!ended, "onEnd after close()");
  },

  "improbable/deadline": async (target) => {
    const call = imCall(target, imEcho, { "grpc-timeout": "300m" });
    call.client.send(wrap(EchoRequestSchema, create(EchoRequestSchema, { message: "slow", sleepMs: 3000 })));
    call.client.finishSend();
    const end = await call.end;
    eq(end.code, grpc.Code.DeadlineExceeded, `code (${end.message})`);
    check(end.ms < 2000, `DEADLINE_EXCEEDED after ${Math.round(end.ms)} ms`);
  },

  "improbable/error-details": async (target) => {
    const call = imCall(target, imFail);
    call.client.send(wrap(FailRequestSchema, create(FailRequestSchema, { code: 3, message: "nöt 100%", withDetails: true })));
    call.client.finishSend();
    const end = await call.end;
    eq(end.code, grpc.Code.InvalidArgument, "code");
    eq(end.message, "nöt 100%", "message (percent-decoded)");
    check((end.trailers.get("grpc-status-details-bin")[0] ?? "").length > 0, "grpc-status-details-bin in the trailers");
  },

  "connect-ws/unary": async (target) => {
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const res = await connectClient(target).echo(
      { message: "connect ✓" },
      { headers: { "x-echo-foo": "bar" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
    );
    eq(res.message, "connect ✓", "message");
    eq(res.metadata["x-echo-foo"], "bar", "metadata the service received");
    eq(header?.get("x-echo-foo"), "bar", "response header");
    eq(trailer?.get("x-trailer-foo"), "bar", "trailer");
  },

  "connect-ws/server-stream": async (target) => {
    const got: EchoResponse[] = [];
    for await (const m of connectClient(target).serverStream({ count: 5, size: 1000 })) got.push(m);
    eq(got.length, 5, "messages");
    got.forEach((m, i) => eq(m.payload.length, 1000, `messages[${i}].payload.length`));
  },

  "connect-ws/client-stream": async (target) => {
    async function* requests() {
      for (const message of ["x", "y", "z"]) yield { message };
    }
    const res = await connectClient(target).clientStream(requests());
    eq(res.message, "x,y,z", "joined");
    eq(res.index, 3, "count");
  },

  "connect-ws/bidi": async (target) => {
    const requests = createWritableIterable<{ message: string }>();
    const answers = connectClient(target).bidiStream(requests)[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) {
      void requests.write({ message: `b${i}` });
      const next = await withTimeout(answers.next(), 5000, `answer to b${i}`);
      check(!next.done, "stream ended early");
      eq(next.value.message, `b${i}`, "answer");
    }
    requests.close();
    const last = await withTimeout(answers.next(), 5000, "end");
    check(last.done, "stream did not end after the requests did");
  },

  "connect-ws/abort": async (target) => {
    const ac = new AbortController();
    let n = 0;
    const err = await expectConnectError((async () => {
      for await (const _ of connectClient(target).serverStream({ count: 1000, intervalMs: 50 }, { signal: ac.signal })) {
        if (++n === 2) ac.abort();
      }
    })());
    eq(err.code, Code.Canceled, "code");
    eq(n, 2, "messages");
  },

  "connect-ws/deadline": async (target) => {
    const start = performance.now();
    const err = await expectConnectError(connectClient(target).echo({ message: "slow", sleepMs: 3000 }, { timeoutMs: 300 }));
    eq(err.code, Code.DeadlineExceeded, `code (${err.message})`);
    check(performance.now() - start < 1200, `took ${Math.round(performance.now() - start)} ms`);
  },

  "connect-ws/error-details": async (target) => {
    const err = await expectConnectError(connectClient(target).fail({ code: 9, message: "precondition", withDetails: true }));
    eq(err.code, Code.FailedPrecondition, "code");
    eq(err.rawMessage, "precondition", "rawMessage");
    check(err.details.length >= 1 && "type" in err.details[0], "error details from grpc-status-details-bin");
  },

  "chat/bidi": async (target) => {
    // The demo page's chat box: two lines typed into one open call, each answered before the next.
    const root = document.body.appendChild(document.createElement("section"));
    mountChat(root, target);
    const button = (label: string) => [...root.querySelectorAll("button")].find((b) => b.textContent === label);
    const waitFor = async (what: string, cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await sleep(50);
      check(cond(), `${what} within 5 s; the box says: ${root.textContent}`);
    };
    button("Join")?.click();
    const input = root.querySelector("input")!;
    const form = root.querySelector("form")!;
    for (const [i, text] of ["hello", "again"].entries()) {
      input.value = text;
      form.requestSubmit();
      await waitFor(`the answer to "${text}"`, () =>
        [...root.querySelectorAll("li.chat-server")].some((li) => li.textContent === `server: #${i} ${text}`));
    }
    button("Leave")?.click();
    await waitFor("the call's end", () => root.querySelector(".chat-status")?.textContent === "The call ended with OK.");
    root.remove();
  },

  "other-origin/refused": async (target) => {
    // Portico allows only the runner's main origin: from this one the upgrade gets 403, so neither client
    // ever sees a header frame.
    const call = imCall(target, imEcho);
    call.client.send(wrap(EchoRequestSchema, create(EchoRequestSchema, { message: "from elsewhere" })));
    call.client.finishSend();
    const end = await call.end;
    eq(end.code, grpc.Code.Unknown, `improbable client's code (${end.message})`);
    check(call.headers === null && call.messages.length === 0, "headers or messages from a refused upgrade");
    const err = await expectConnectError(connectClient(target).echo({ message: "from elsewhere" }));
    eq(err.code, Code.Unavailable, `Connect transport's code (${err.message})`);
  },
};

serveCases(cases, (e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)));
