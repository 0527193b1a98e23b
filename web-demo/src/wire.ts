// What each client puts on the wire, shown under the client picker. Short on purpose: the details
// are in the gRPC-Web (PROTOCOL-WEB.md) and Connect (connectrpc.com/docs/protocol) specifications.

import type { ClientId } from "./clients.js";

export interface ClientInfo {
  label: string;
  /** Lines of the "on the wire" box. */
  wire: string[];
}

const GRPC_WEB_FRAMES =
  "Body: 5-byte frames (flag 0x00, 4-byte big-endian length) each holding one protobuf message. " +
  "The response ends with a frame whose flag is 0x80: the trailers as text, grpc-status: 0\\r\\n…";

export const CLIENTS: Record<ClientId, ClientInfo> = {
  "grpcweb-text": {
    label: "grpc-web · text",
    wire: [
      "POST /portico.demo.v1.DemoService/Echo, Content-Type: application/grpc-web-text (XHR).",
      GRPC_WEB_FRAMES + " — all base64-encoded, so XHR can read a streaming response as text while it grows: messages show up live.",
      "Metadata travels as HTTP headers; the deadline as grpc-timeout (e.g. 499m); error details in the grpc-status-details-bin trailer.",
    ],
  },
  "grpcweb-binary": {
    label: "grpc-web · binary",
    wire: [
      "POST, Content-Type: application/grpc-web+proto (XHR).",
      GRPC_WEB_FRAMES + " — raw bytes, a quarter smaller than text mode.",
      "The official client reads binary bodies as an XHR arraybuffer, which is only there once the response ends: a stream's messages arrive together at its end. Use text mode or connect-web for live streams.",
    ],
  },
  "connect-json": {
    label: "connect-web · Connect JSON",
    wire: [
      "Unary: POST with Content-Type: application/json and the bare JSON message — or, for Echo (idempotency_level = NO_SIDE_EFFECTS), GET ?connect=v1&encoding=json&message=… (cacheable).",
      "The outcome is the HTTP status: errors are a JSON body {code, message, details}; trailers come as trailer-* headers; the deadline as Connect-Timeout-Ms.",
      "Streams: POST application/connect+json, 5-byte envelopes of JSON messages; the last envelope (flag 0x02) holds {error, metadata}. Read with fetch: live.",
    ],
  },
  "connect-binary": {
    label: "connect-web · Connect binary",
    wire: [
      "Unary: POST with Content-Type: application/proto and the bare protobuf message — or GET ?connect=v1&encoding=proto&base64=1&message=… for Echo.",
      "Errors are still a JSON body {code, message, details} with the HTTP status; trailers as trailer-* headers; deadline as Connect-Timeout-Ms.",
      "Streams: POST application/connect+proto, 5-byte envelopes; the end-of-stream envelope (flag 0x02) is JSON. Read with fetch: live.",
    ],
  },
  "connect-grpcweb": {
    label: "connect-web · gRPC-Web",
    wire: [
      "POST, Content-Type: application/grpc-web+proto, sent with fetch.",
      GRPC_WEB_FRAMES + ".",
      "The same bytes as the official binary client, but fetch hands over each chunk as it arrives: streams are live.",
    ],
  },
};
