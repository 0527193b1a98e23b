// A bidirectional chat box on DemoService.BidiStream over WebSocket: each line typed goes up the open request
// stream at once, and the service's answer to it comes back on the same call, which no fetch-based transport
// can do from a browser. "Leave" finishes the request stream (the call then ends with OK).

import { createClient, ConnectError } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { DemoService, type EchoRequestSchema } from "../gen/portico/demo/v1/demo_pb.js";
import { createWebSocketTransport } from "./websocket-transport.js";

/** Renders the chat box into `root`, calling the DemoService of the Portico at `portico` (http(s)://...). */
export function mountChat(root: HTMLElement, portico: string): void {
  const client = createClient(DemoService, createWebSocketTransport({ baseUrl: portico }));
  root.replaceChildren();
  const log = element("ol", { className: "chat-log" });
  const input = element("input", { type: "text", placeholder: "Say something", disabled: true });
  const send = element("button", { type: "submit", textContent: "Send", disabled: true });
  const join = element("button", { type: "button", textContent: "Join" });
  const status = element("p", { className: "chat-status", textContent: "Not connected." });
  const form = element("form", { className: "chat-form" });
  form.append(input, send, join);
  root.append(element("h2", { textContent: "Bidirectional chat over WebSocket" }), log, form, status);

  let requests: ReturnType<typeof createWritableIterable<MessageInitShape<typeof EchoRequestSchema>>> | undefined;

  const line = (who: string, text: string) => {
    log.append(element("li", { className: `chat-${who}`, textContent: `${who}: ${text}` }));
    log.lastElementChild?.scrollIntoView({ block: "nearest" });
  };
  const connected = (on: boolean) => {
    input.disabled = !on;
    send.disabled = !on;
    join.textContent = on ? "Leave" : "Join";
  };

  join.addEventListener("click", () => {
    if (requests) {
      requests.close(); // finish-send: the server answers what is left, then ends the call with OK.
      return;
    }
    const stream = createWritableIterable<MessageInitShape<typeof EchoRequestSchema>>();
    requests = stream;
    connected(true);
    status.textContent = "Connected: one WebSocket, one call, both directions open.";
    void (async () => {
      try {
        for await (const answer of client.bidiStream(stream)) line("server", `#${answer.index} ${answer.message}`);
        status.textContent = "The call ended with OK.";
      } catch (e) {
        status.textContent = `The call ended: ${ConnectError.from(e).message}`;
      } finally {
        requests = undefined;
        connected(false);
      }
    })();
    input.focus();
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!requests || text === "") return;
    line("you", text);
    void requests.write({ message: text });
    input.value = "";
  });
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}
