package dev.portico.proxy.protocol;

/**
 * How messages are serialised between the client and Portico. The upstream always gets protobuf binary:
 * JSON is transcoded with the method's schema.
 */
public enum Codec {
    PROTO("proto"),
    JSON("json");

    private final String name;

    Codec(String name) {
        this.name = name;
    }

    /** The name in content types ({@code application/proto}, {@code +json}) and Connect GET's encoding. */
    public String codecName() {
        return name;
    }

    /** The codec a content-type suffix or Connect codec name names; null for one Portico does not speak. */
    static Codec named(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "", "proto" -> PROTO;
            case "json" -> JSON;
            default -> null;
        };
    }
}
