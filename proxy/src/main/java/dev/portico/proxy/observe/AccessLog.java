package dev.portico.proxy.observe;

import static java.util.Objects.requireNonNull;

import com.google.gson.stream.JsonWriter;
import dev.portico.config.AccessLogSettings;
import dev.portico.config.Cidr;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes access-log lines ({@code portico.access-log}) to the logger {@code portico.access}, whose appender
 * (see {@link LogSetup}) is asynchronous: the event loop formats the line and hands it over, never waiting for
 * output. Thread-safe and stateless apart from its settings.
 */
public final class AccessLog {
    /** The logger the lines go to; {@link LogSetup} routes it to stdout through an AsyncAppender. */
    public static final String LOGGER = "portico.access";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    /** UTC with milliseconds, as Portico's own log lines. */
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final AccessLogSettings settings;

    public AccessLog(AccessLogSettings settings) {
        this.settings = requireNonNull(settings, "settings");
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /** Logs {@code entry} unless sampling leaves it out (failures are always logged). */
    void write(AccessLogEntry entry) {
        if (!settings.enabled() || !log.isInfoEnabled()) {
            return;
        }
        if (entry.succeeded() && settings.sampleRate() < 1
            && ThreadLocalRandom.current().nextDouble() >= settings.sampleRate()) {
            return;
        }
        log.info(settings.format() == AccessLogSettings.Format.JSON ? json(entry) : text(entry));
    }

    /**
     * The client of a request from {@code peer} with the {@code X-Forwarded-For} value {@code forwardedFor}
     * (null when absent): the peer itself unless it is a trusted proxy; then the right-most address of the
     * header that is not a trusted proxy (each proxy appends the address it got the request from, so the
     * entries left of the last untrusted one could have been written by anyone). An entry that is not an IP
     * address ends the walk at the last address found.
     */
    String client(SocketAddress peer, String forwardedFor) {
        final InetAddress peerAddress = peer instanceof InetSocketAddress inet ? inet.getAddress() : null;
        if (peerAddress == null) {
            return String.valueOf(peer);
        }
        InetAddress client = peerAddress;
        if (forwardedFor != null && trusted(peerAddress)) {
            final String[] hops = forwardedFor.split(",");
            for (int i = hops.length - 1; i >= 0 && trusted(client); i--) {
                final byte[] address = NetUtil.createByteArrayFromIpAddressString(hops[i].strip());
                if (address == null) {
                    break;
                }
                client = inetAddress(address);
            }
        }
        return client.getHostAddress();
    }

    private boolean trusted(InetAddress address) {
        final List<Cidr> proxies = settings.trustedProxies();
        for (Cidr proxy : proxies) {
            if (proxy.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static InetAddress inetAddress(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("an IP address of " + address.length + " bytes", e);
        }
    }

    /**
     * {@code time client peer "METHOD path VERSION" protocol http-status grpc-status request-bytes
     * response-bytes duration-ms upstream attempts "user-agent" trace-id}, {@code -} for what does not apply.
     */
    static String text(AccessLogEntry e) {
        final StringBuilder line = new StringBuilder(256);
        line.append(TIME.format(e.start())).append(' ')
            .append(e.client()).append(' ')
            .append(e.peer()).append(" \"");
        escape(line, e.httpMethod());
        line.append(' ');
        escape(line, e.path());
        line.append(' ').append(e.httpVersion()).append("\" ")
            .append(orDash(e.protocol())).append(' ')
            .append(e.httpStatus() == 0 ? "-" : Integer.toString(e.httpStatus())).append(' ')
            .append(e.grpcStatus() == null ? "-" : e.grpcStatus().name()).append(' ')
            .append(e.requestBytes()).append(' ')
            .append(e.responseBytes()).append(' ')
            .append(String.format(Locale.ROOT, "%.3f", e.durationNanos() / 1e6)).append(' ')
            .append(orDash(e.upstream())).append(' ')
            .append(e.attempts()).append(" \"");
        if (e.userAgent() == null) {
            line.append('-');
        } else {
            escape(line, e.userAgent());
        }
        return line.append("\" ").append(orDash(e.traceId())).toString();
    }

    /** One JSON object; absent fields are null. Written by gson, so every value is escaped as JSON needs. */
    static String json(AccessLogEntry e) {
        final StringWriter out = new StringWriter(320);
        try (JsonWriter json = new JsonWriter(out)) {
            json.setHtmlSafe(false);
            json.beginObject()
                .name("time").value(TIME.format(e.start()))
                .name("client").value(e.client())
                .name("peer").value(e.peer())
                .name("http_method").value(e.httpMethod())
                .name("path").value(e.path())
                .name("http_version").value(e.httpVersion())
                .name("protocol").value(e.protocol())
                .name("method").value(e.method())
                .name("http_status").value(e.httpStatus() == 0 ? null : e.httpStatus())
                .name("grpc_status").value(e.grpcStatus() == null ? null : e.grpcStatus().name())
                .name("request_bytes").value(e.requestBytes())
                .name("response_bytes").value(e.responseBytes())
                .name("duration_ms").value(Math.round(e.durationNanos() / 1e3) / 1e3)
                .name("upstream").value(e.upstream())
                .name("attempts").value(e.attempts())
                .name("user_agent").value(e.userAgent())
                .name("trace_id").value(e.traceId())
                .endObject();
        } catch (IOException ex) {
            throw new UncheckedIOException("writing to a StringWriter", ex);
        }
        return out.toString();
    }

    private static String orDash(String value) {
        return value == null ? "-" : value;
    }

    /**
     * Appends {@code value} with {@code "}, {@code \} and every byte outside printable ASCII as {@code \xHH}
     * (UTF-8), as nginx escapes its log: a client cannot forge a line or a field.
     */
    private static void escape(StringBuilder line, String value) {
        for (byte b : value.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            final int c = b & 0xff;
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                line.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                line.append((char) c);
            }
        }
    }
}
