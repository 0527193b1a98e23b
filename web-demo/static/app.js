// Portico demo page: gRPC-Web over plain fetch(), with a hand-written protobuf codec.
// Deliberately dependency-free so the page can ship inside portico.jar and be read top to bottom.
"use strict";

(function () {
  const SERVICE = "/portico.demo.v1.DemoService/";

  const CODE_NAMES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
  ];

  const utf8 = new TextEncoder();
  const utf8Decoder = new TextDecoder();

  // ---------------------------------------------------------------------------------------------
  // Protobuf, just enough for demo.proto. Proto3 omits fields equal to their default, so zero
  // numbers, empty strings and false are simply not written.

  function writeVarint(out, n) {
    // int32 is sign-extended to 64 bits on the wire, so negatives take 10 bytes; BigInt keeps
    // that exact instead of losing the high bits to JavaScript's 32-bit shifts.
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
  }

  /** fields: [fieldNumber, "string" | "bytes" | "int32" | "bool", value][] */
  function encodeMessage(fields) {
    const out = [];
    for (const [num, type, value] of fields) {
      if (type === "int32" || type === "bool") {
        const n = type === "bool" ? (value ? 1 : 0) : value | 0;
        if (n === 0) continue;
        writeVarint(out, (num << 3) | 0); // wire type 0: varint
        writeVarint(out, n);
      } else {
        const bytes = type === "string" ? utf8.encode(value) : value;
        if (bytes.length === 0) continue;
        writeVarint(out, (num << 3) | 2); // wire type 2: length-delimited
        writeVarint(out, bytes.length);
        for (const b of bytes) out.push(b);
      }
    }
    return Uint8Array.from(out);
  }

  // EchoRequest{message=1 string, payload=2 bytes, sleep_ms=3 int32}
  const encodeEchoRequest = (r) =>
    encodeMessage([[1, "string", r.message ?? ""], [2, "bytes", r.payload ?? new Uint8Array()], [3, "int32", r.sleepMs ?? 0]]);

  // StreamRequest{count=1, size=2, interval_ms=3, message=4 string, fail_code=5}
  const encodeStreamRequest = (r) =>
    encodeMessage([[1, "int32", r.count ?? 0], [2, "int32", r.size ?? 0], [3, "int32", r.intervalMs ?? 0],
      [4, "string", r.message ?? ""], [5, "int32", r.failCode ?? 0]]);

  // FailRequest{code=1 int32, message=2 string, with_details=3 bool}
  const encodeFailRequest = (r) =>
    encodeMessage([[1, "int32", r.code], [2, "string", r.message ?? ""], [3, "bool", !!r.withDetails]]);

  /** EchoResponse{message=1, payload=2, metadata=3 (skipped), index=4}. */
  function decodeEchoResponse(buf) {
    const msg = { message: "", payload: new Uint8Array(), index: 0 };
    let pos = 0;
    function readVarint() {
      // Keep the low 32 bits only: every varint we care about is an int32 or a length.
      let result = 0;
      let shift = 0;
      let b;
      do {
        if (pos >= buf.length) throw new Error("truncated varint");
        b = buf[pos++];
        if (shift < 32) result |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      return result;
    }
    while (pos < buf.length) {
      const tag = readVarint() >>> 0;
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (wireType === 0) {
        const v = readVarint() | 0;
        if (field === 4) msg.index = v;
      } else if (wireType === 2) {
        const len = readVarint() >>> 0;
        if (pos + len > buf.length) throw new Error("truncated field");
        const bytes = buf.subarray(pos, pos + len);
        pos += len;
        if (field === 1) msg.message = utf8Decoder.decode(bytes);
        else if (field === 2) msg.payload = bytes.slice();
        // field 3 (the metadata map) and anything newer are skipped: unknown fields must not
        // break an old client, which is the whole point of protobuf's wire format.
      } else if (wireType === 1) {
        pos += 8;
      } else if (wireType === 5) {
        pos += 4;
      } else {
        throw new Error("unsupported wire type " + wireType);
      }
    }
    return msg;
  }

  // ---------------------------------------------------------------------------------------------
  // gRPC-Web framing: every message is [flag:1][length:4, big-endian][bytes]. A flag with the
  // high bit (0x80) set marks the trailer frame, which carries grpc-status as HTTP/1-style
  // header lines, because browsers cannot read real HTTP trailers.

  function frame(bytes) {
    const out = new Uint8Array(5 + bytes.length);
    new DataView(out.buffer).setUint32(1, bytes.length);
    out.set(bytes, 5);
    return out;
  }

  function parseTrailerBlock(bytes) {
    const trailers = {};
    for (const line of utf8Decoder.decode(bytes).split(/\r?\n/)) {
      const i = line.indexOf(":");
      // Servers disagree on "name: value" vs "name:value"; trimming accepts both.
      if (i > 0) trailers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    return trailers;
  }

  function decodeGrpcMessage(raw) {
    // grpc-message is percent-encoded on the wire so non-ASCII text survives HTTP headers.
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }

  /**
   * Calls one DemoService method and reads the response body incrementally, so each streamed
   * message reaches onMessage as soon as its frame is complete rather than when the call ends.
   * Resolves with {code, message, trailers}; never rejects for gRPC errors, only reports them.
   */
  async function grpcWebCall(method, requestBytes, onMessage) {
    let res;
    try {
      res = await fetch(SERVICE + method, {
        method: "POST",
        headers: {
          "Content-Type": "application/grpc-web+proto",
          "X-Grpc-Web": "1",
          "X-User-Agent": "portico-demo-page/1",
        },
        body: frame(requestBytes),
      });
    } catch (e) {
      return { code: 14, message: "network error: " + e.message, trailers: {} };
    }

    // Trailers-only responses (typically immediate errors) put grpc-status in the headers.
    const headerStatus = res.headers.get("grpc-status");
    if (!res.ok) {
      const message = decodeGrpcMessage(res.headers.get("grpc-message") ?? "") || "HTTP " + res.status;
      return { code: headerStatus !== null ? Number(headerStatus) : 2, message, trailers: {} };
    }

    let trailers = null;
    let buffered = new Uint8Array(0);
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Network chunks have nothing to do with frame boundaries: append, then cut whole frames.
      const joined = new Uint8Array(buffered.length + value.length);
      joined.set(buffered);
      joined.set(value, buffered.length);
      buffered = joined;
      while (buffered.length >= 5) {
        const len = new DataView(buffered.buffer, buffered.byteOffset).getUint32(1);
        if (buffered.length < 5 + len) break;
        const flag = buffered[0];
        const body = buffered.subarray(5, 5 + len);
        buffered = buffered.slice(5 + len);
        if (flag & 0x80) trailers = parseTrailerBlock(body);
        else if (flag & 0x01) return { code: 13, message: "compressed message, but none was asked for", trailers: {} };
        else onMessage(decodeEchoResponse(body));
      }
    }

    const status = trailers?.["grpc-status"] ?? headerStatus;
    if (status === null || status === undefined) {
      // No status at all means the response was cut short; calling that success would hide it.
      return { code: 2, message: "response ended without grpc-status", trailers: trailers ?? {} };
    }
    const rawMessage = trailers?.["grpc-message"] ?? res.headers.get("grpc-message") ?? "";
    return { code: Number(status), message: decodeGrpcMessage(rawMessage), trailers: trailers ?? {} };
  }

  // ---------------------------------------------------------------------------------------------
  // UI

  const $ = (id) => document.getElementById(id);

  function showStatus(el, result, startedAt) {
    const name = CODE_NAMES[result.code] ?? "code " + result.code;
    const ms = Math.round(performance.now() - startedAt);
    el.textContent = `${name} (${result.code})` + (result.message ? `: ${result.message}` : "") + ` — ${ms} ms`;
    el.className = "status " + (result.code === 0 ? "ok" : "err");
  }

  function bytesPreview(bytes) {
    const hex = Array.from(bytes.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join(" ");
    return `${bytes.length} bytes` + (bytes.length ? ` [${hex}${bytes.length > 16 ? " …" : ""}]` : "");
  }

  // Disabling the button while a call runs keeps the output of two overlapping runs from mixing.
  async function busy(button, fn) {
    button.disabled = true;
    try {
      await fn();
    } finally {
      button.disabled = false;
    }
  }

  $("echo-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy($("echo-btn"), async () => {
      const out = $("echo-out");
      const status = $("echo-status");
      out.textContent = "";
      status.textContent = "…";
      status.className = "status";
      const text = $("echo-text").value;
      const started = performance.now();
      const result = await grpcWebCall(
        "Echo",
        encodeEchoRequest({ message: text, payload: utf8.encode(text) }),
        (m) => (out.textContent = `message: ${JSON.stringify(m.message)}\npayload: ${bytesPreview(m.payload)}`),
      );
      showStatus(status, result, started);
    });
  });

  $("stream-btn").addEventListener("click", () => {
    busy($("stream-btn"), async () => {
      const list = $("stream-out");
      const status = $("stream-status");
      list.replaceChildren();
      status.textContent = "streaming…";
      status.className = "status";
      const started = performance.now();
      const result = await grpcWebCall(
        "ServerStream",
        encodeStreamRequest({ count: 10, size: 8, intervalMs: 300, message: $("echo-text").value }),
        (m) => {
          const li = document.createElement("li");
          li.value = m.index + 1;
          const at = Math.round(performance.now() - started);
          li.textContent = `index ${m.index} at ${at} ms: ${JSON.stringify(m.message)}, ${bytesPreview(m.payload)}`;
          list.append(li);
        },
      );
      showStatus(status, result, started);
    });
  });

  $("fail-btn").addEventListener("click", () => {
    busy($("fail-btn"), async () => {
      const status = $("fail-status");
      status.textContent = "…";
      status.className = "status";
      const started = performance.now();
      const result = await grpcWebCall("Fail", encodeFailRequest({ code: 5, message: "nöt føund ✓ (asked for by the demo page)" }), () => {});
      showStatus(status, result, started);
    });
  });
})();
