package dev.portico.loadtest;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What came back for one soak call, fed as it arrives (head, body chunks, trailers, end), and how the call
 * ended: with a status (by code), or without one. Memory is bounded: message payloads are only counted;
 * only a Connect unary body and the end frame are kept, each up to {@link #MAX_KEPT} bytes.
 *
 * <p>Not thread-safe: one call's events arrive on its channel's event loop.
 */
final class SoakResponse {
    private static final int MAX_KEPT = 1 << 20;
    private static final Pattern CONNECT_CODE = Pattern.compile("\"code\"\\s*:\\s*\"([a-z_]+)\"");

    /** How a call ended. {@code code} is a gRPC code name for a status, else a short reason. */
    record Ending(Kind kind, String code, String detail) {
        enum Kind {
            /** A status came back: a gRPC status, a Connect code, or an HTTP error status without either. */
            STATUS,
            /** Connection closed or stream reset with no status: must never happen. */
            NO_STATUS,
            /** The soak reset or closed the call itself, on purpose. */
            CANCELLED_ON_PURPOSE,
            /** Refused before processing (REFUSED_STREAM, or above a GOAWAY's last stream id): safe to retry. */
            REFUSED,
            /** No end within the soak's per-call bound. */
            STUCK,
            /** The request never left: no connection could be opened. */
            NOT_SENT
        }

        static Ending of(Kind kind, String code, String detail) {
            return new Ending(kind, code, detail);
        }
    }

    private final SoakCall.Wire wire;
    private int httpStatus = -1;
    private final Map<String, String> headers = new HashMap<>();
    private final Map<String, String> trailers = new HashMap<>();
    private boolean complete;
    private long bodyBytes;
    private int messages;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

    // Envelope scanner state (enveloped wires): a 5-byte header, then its payload.
    private final byte[] envelopeHead = new byte[5];
    private int headFilled;
    private long payloadLeft = -1;
    private boolean inEndFrame;
    private byte[] endFrame;
    private final ByteArrayOutputStream endPayload = new ByteArrayOutputStream();
    // gRPC-Web text: base64 characters not yet decoded (fewer than 4). Each quantum decodes on its own, so
    // padding in the middle of the body (one padded chunk per frame) is handled.
    private final StringBuilder quantum = new StringBuilder(4);
    private String bodyError;

    SoakResponse(SoakCall.Wire wire) {
        this.wire = wire;
    }

    void head(int status, Map<String, String> lowerCaseHeaders) {
        httpStatus = status;
        headers.putAll(lowerCaseHeaders);
    }

    void trailers(Map<String, String> lowerCaseTrailers) {
        trailers.putAll(lowerCaseTrailers);
    }

    /** The response ended cleanly: HTTP/2 END_STREAM, or a complete HTTP/1.1 message. */
    void complete() {
        complete = true;
    }

    boolean headSeen() {
        return httpStatus >= 0;
    }

    int messages() {
        return messages;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    void data(byte[] chunk) {
        bodyBytes += chunk.length;
        if (!wire.enveloped()) {
            if (kept.size() + chunk.length <= MAX_KEPT) {
                kept.writeBytes(chunk);
            }
            return;
        }
        if (wire != SoakCall.Wire.GRPC_WEB_TEXT) {
            scan(chunk, 0, chunk.length);
            return;
        }
        for (byte b : chunk) {
            if (b == '\r' || b == '\n') {
                continue;
            }
            quantum.append((char) b);
            if (quantum.length() == 4) {
                try {
                    final byte[] decoded = Base64.getDecoder().decode(quantum.toString());
                    scan(decoded, 0, decoded.length);
                } catch (IllegalArgumentException e) {
                    bodyError = "invalid base64 in the body: " + e.getMessage();
                }
                quantum.setLength(0);
            }
        }
    }

    private void scan(byte[] bytes, int from, int to) {
        int at = from;
        while (at < to) {
            if (payloadLeft < 0) {
                envelopeHead[headFilled++] = bytes[at++];
                if (headFilled == 5) {
                    headFilled = 0;
                    payloadLeft = ((envelopeHead[1] & 0xffL) << 24) | ((envelopeHead[2] & 0xff) << 16)
                                  | ((envelopeHead[3] & 0xff) << 8) | (envelopeHead[4] & 0xff);
                    inEndFrame = wire.endFlag() != 0 && (envelopeHead[0] & wire.endFlag()) != 0;
                    endPayload.reset();
                    finishFrameIfEmpty();
                }
                continue;
            }
            final int n = (int) Math.min(payloadLeft, to - at);
            if (inEndFrame && endPayload.size() + n <= MAX_KEPT) {
                endPayload.write(bytes, at, n);
            }
            at += n;
            payloadLeft -= n;
            finishFrameIfEmpty();
        }
    }

    private void finishFrameIfEmpty() {
        if (payloadLeft != 0) {
            return;
        }
        payloadLeft = -1;
        if (inEndFrame) {
            endFrame = endPayload.toByteArray();
        } else {
            messages++;
        }
    }

    /**
     * How the call ended with what has arrived, as the client would read it. Call once the stream or
     * connection is over; {@code otherwise} is the reason given when no status is in what arrived.
     */
    Ending status(String otherwise) {
        if (!complete) {
            return Ending.of(Ending.Kind.NO_STATUS, otherwise, describe());
        }
        final String code = switch (wire) {
            case GRPC -> grpcStatus(trailers.isEmpty() ? headers : trailers);
            case GRPC_WEB, GRPC_WEB_TEXT -> endFrame != null ? grpcStatus(trailerFrame()) : grpcStatus(headers);
            case CONNECT_PROTO, CONNECT_JSON -> httpStatus == 200 ? "OK" : connectCode(kept.toString(
                    StandardCharsets.UTF_8));
            case CONNECT_STREAM -> endFrame != null ? connectEnd(new String(endFrame, StandardCharsets.UTF_8))
                    : httpStatus != 200 ? connectCode("") : null;
        };
        if (code != null && bodyError == null && (payloadLeft < 0 && headFilled == 0 || !wire.enveloped())) {
            return Ending.of(Ending.Kind.STATUS, code, describe());
        }
        if (code == null && httpStatus != 200 && httpStatus > 0) {
            // An HTTP error with no gRPC or Connect status: clients map it from the HTTP status (gRPC's
            // http-grpc-status-mapping.md); it is an answer, reported under its own name.
            return Ending.of(Ending.Kind.STATUS, "HTTP_" + httpStatus, describe());
        }
        return Ending.of(Ending.Kind.NO_STATUS, bodyError != null ? bodyError
                : code != null ? "partial frame at the end of the body" : "ended without a status", describe());
    }

    /**
     * The call's ending as the soak counts it: its status when one arrived; otherwise stuck, cancelled on
     * purpose, or refused before processing ({@code refusedHow} non-null, no response head seen), in that
     * order, when the connection says so; otherwise no status, for the reason {@code otherwise}.
     */
    Ending ending(String otherwise, boolean stuck, boolean cancelledOnPurpose, String refusedHow) {
        final Ending status = status(otherwise);
        if (status.kind() == Ending.Kind.STATUS) {
            return status;
        }
        if (stuck) {
            return Ending.of(Ending.Kind.STUCK, "no end within the bound", status.detail());
        }
        if (cancelledOnPurpose) {
            return Ending.of(Ending.Kind.CANCELLED_ON_PURPOSE, "ended by the soak", status.detail());
        }
        if (refusedHow != null && !headSeen()) {
            return Ending.of(Ending.Kind.REFUSED, refusedHow, status.detail());
        }
        return status;
    }

    /** What arrived, for the report's examples. */
    String describe() {
        return "HTTP " + (httpStatus < 0 ? "-" : httpStatus) + ", " + bodyBytes + " body bytes, " + messages
               + " message(s)" + (complete ? ", ended" : "");
    }

    private Map<String, String> trailerFrame() {
        final Map<String, String> parsed = new HashMap<>();
        for (String line : new String(endFrame, StandardCharsets.ISO_8859_1).split("\r\n")) {
            final int colon = line.indexOf(':');
            if (colon > 0) {
                parsed.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return parsed;
    }

    private static String grpcStatus(Map<String, String> fields) {
        final String value = fields.get("grpc-status");
        if (value == null || !value.matches("\\d{1,2}")) {
            return null;
        }
        final int code = Integer.parseInt(value);
        return code < Status.Code.values().length ? Status.Code.values()[code].name() : "CODE_" + code;
    }

    /** Connect error JSON: {@code {"code":"unavailable",...}}; an empty body is named by the HTTP status. */
    private String connectCode(String json) {
        final Matcher m = CONNECT_CODE.matcher(json);
        if (!m.find()) {
            return null;
        }
        // Connect spells CANCELLED with one L; the rest are gRPC's names in lower case.
        return m.group(1).equals("canceled") ? "CANCELLED" : m.group(1).toUpperCase(Locale.ROOT);
    }

    /** Connect EndStreamResponse: {@code {}} or with metadata is OK, {@code {"error":{...}}} an error. */
    private String connectEnd(String json) {
        return json.contains("\"error\"") ? connectCode(json) : "OK";
    }
}
