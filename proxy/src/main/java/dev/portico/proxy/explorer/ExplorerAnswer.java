package dev.portico.proxy.explorer;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One answer of the API explorer, for the admin listener to write. Immutable; {@code body} is not copied and
 * must not be changed.
 *
 * @param location where a redirect sends the browser
 */
public record ExplorerAnswer(HttpResponseStatus status, String contentType, byte[] body,
                             Optional<String> location) {

    private static final String JSON = "application/json; charset=utf-8";

    public ExplorerAnswer {
        requireNonNull(status, "status");
        requireNonNull(contentType, "contentType");
        requireNonNull(body, "body");
        requireNonNull(location, "location");
    }

    static ExplorerAnswer json(HttpResponseStatus status, JsonElement json) {
        final byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        return new ExplorerAnswer(status, JSON, body, Optional.empty());
    }

    /** {@code {"error": message}} with {@code status}. */
    static ExplorerAnswer error(HttpResponseStatus status, String message) {
        final JsonObject json = new JsonObject();
        json.addProperty("error", message);
        return json(status, json);
    }

    static ExplorerAnswer redirect(String location) {
        return new ExplorerAnswer(HttpResponseStatus.FOUND, "text/plain; charset=utf-8", new byte[0],
                                  Optional.of(location));
    }
}
