package dev.portico.loadtest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.portico.loadtest.v1.EchoResponse;
import dev.portico.loadtest.v1.StreamResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The first-call check before every variant is loaded: one call with curl over the same HTTP version and
 * the same body as the load tool, which must be a real success: HTTP 200, every expected message with the
 * expected payload, and {@code grpc-status: 0} in the HTTP/2 trailers (native gRPC) or in the trailer
 * frame (gRPC-Web); for Connect unary, HTTP 200 with the response content type and the echoed message as
 * the body (binary, or parsed from JSON). A load tool only counts HTTP statuses, so without this a proxy
 * answering every call with an error in its trailers would look fast.
 */
final class Probe {
    private static final Pattern STATUS_OK = Pattern.compile("(?im)^grpc-status:\\s*0\\s*$");
    private static final Pattern ANY_STATUS = Pattern.compile("(?im)^grpc-status:\\s*(\\d+)\\s*$");
    private static final Pattern CONTENT_TYPE = Pattern.compile("(?im)^content-type:\\s*([^;\\r\\n]+)");

    private Probe() {}

    /** Throws {@link CheckFailed} naming what was wrong; returns a one-line description of the success. */
    static String check(Options o, Scenario scenario, Variant variant, String bodyFile, int expectedMessages,
                        Path logDir) throws IOException, InterruptedException {
        final Path body = o.work().resolve("probe-" + variant.id + ".body");
        final Path headers = o.work().resolve("probe-" + variant.id + ".headers");
        final List<String> cmd = new ArrayList<>(List.of(
                "timeout", "-k", "5", "30", "curl", "-sS", "--max-time", "20", "-o", body.toString(),
                "-D", headers.toString()));
        switch (variant.transport) {
            case HTTP1 -> cmd.add("--http1.1");
            case H2C -> cmd.add("--http2-prior-knowledge");
            case H2_TLS -> cmd.addAll(List.of("--http2", "-k"));
        }
        cmd.addAll(List.of("-H", "content-type: " + variant.format.contentType));
        for (String header : variant.format.headers()) {
            cmd.addAll(List.of("-H", header));
        }
        cmd.addAll(List.of("--data-binary", "@" + o.work().resolve(bodyFile), variant.url(o, scenario.method())));
        final Process curl = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String curlOut = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!curl.waitFor(40, TimeUnit.SECONDS) || curl.exitValue() != 0) {
            throw new CheckFailed("first call failed: curl exit " + curl.exitValue() + ": " + curlOut.trim());
        }
        final String head = Files.readString(headers, StandardCharsets.ISO_8859_1);
        final byte[] raw = Files.readAllBytes(body);
        Files.writeString(logDir.resolve("probe-" + scenario.id() + "-" + variant.id + ".txt"),
                          String.join(" ", cmd) + "\n\n" + head + "\n[" + raw.length + " body bytes]\n");
        final String statusLine = head.lines().findFirst().orElse("");
        final String wantVersion = variant.transport == Variant.Transport.HTTP1 ? "HTTP/1.1 200" : "HTTP/2 200";
        if (!statusLine.startsWith(wantVersion)) {
            throw new CheckFailed("first call answered '" + statusLine.trim() + "', expected " + wantVersion);
        }
        if (variant.format.connect()) {
            return checkConnect(scenario, variant, head, raw, statusLine);
        }
        final List<Frames.Frame> frames = Frames.parse(variant.format.base64() ? Frames.decodeText(raw) : raw);
        final List<Frames.Frame> messages = new ArrayList<>();
        String trailerText = null;
        for (int i = 0; i < frames.size(); i++) {
            final Frames.Frame frame = frames.get(i);
            if (frame.trailer()) {
                if (variant.direct() || i != frames.size() - 1) {
                    throw new CheckFailed("first call: unexpected trailer frame at position " + i);
                }
                trailerText = frame.text();
            } else if (frame.flags() != 0) {
                throw new CheckFailed("first call: frame " + i + " has flags " + frame.flags());
            } else {
                messages.add(frame);
            }
        }
        // Native gRPC: the status is in the HTTP/2 trailers, which curl -D writes after the headers.
        final String statusSource = variant.direct() ? head : trailerText;
        if (statusSource == null) {
            final var inHeaders = ANY_STATUS.matcher(head);
            throw new CheckFailed("first call: no trailer frame"
                                  + (inHeaders.find() ? " (trailers-only, grpc-status " + inHeaders.group(1) + ")"
                                                      : ""));
        }
        if (!STATUS_OK.matcher(statusSource).find()) {
            throw new CheckFailed("first call: no grpc-status 0 in the trailers: " + statusSource.trim());
        }
        if (messages.size() != expectedMessages) {
            throw new CheckFailed("first call: " + messages.size() + " messages, expected " + expectedMessages);
        }
        for (Frames.Frame frame : messages) {
            checkMessage(scenario, frame.data());
        }
        return statusLine.trim() + ", " + messages.size() + " message(s), grpc-status 0";
    }

    /** Connect unary: the body is the response message itself, in the request's codec. */
    private static String checkConnect(Scenario scenario, Variant variant, String head, byte[] raw,
                                       String statusLine) throws InvalidProtocolBufferException {
        if (!scenario.method().equals("Echo")) {
            throw new CheckFailed("first call: Connect variants run only unary Echo");
        }
        if (!CONTENT_TYPE.matcher(head).results()
                .anyMatch(m -> m.group(1).trim().equalsIgnoreCase(variant.format.contentType))) {
            throw new CheckFailed("first call: response content-type is not " + variant.format.contentType);
        }
        final byte[] message;
        if (variant.format == Variant.Format.CONNECT_JSON) {
            final EchoResponse.Builder parsed = EchoResponse.newBuilder();
            JsonFormat.parser().merge(new String(raw, StandardCharsets.UTF_8), parsed);
            message = parsed.build().toByteArray();
        } else {
            message = raw;
        }
        checkMessage(scenario, message);
        return statusLine.trim() + ", " + variant.format.contentType + ", the echoed message";
    }

    private static void checkMessage(Scenario scenario, byte[] data) throws InvalidProtocolBufferException {
        if (scenario.method().equals("Echo")) {
            final ByteString expected = RequestBodies.echo(scenario.messageBytes()).getPayload();
            if (!EchoResponse.parseFrom(data).getPayload().equals(expected)) {
                throw new CheckFailed("first call: the echoed payload differs from the request's");
            }
        } else if (StreamResponse.parseFrom(data).getPayload().size() != scenario.messageBytes()) {
            throw new CheckFailed("first call: a streamed message does not have " + scenario.messageBytes()
                                  + " payload bytes");
        }
    }
}
