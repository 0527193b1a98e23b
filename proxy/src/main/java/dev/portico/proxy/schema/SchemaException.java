package dev.portico.proxy.schema;

/**
 * A protobuf schema cannot be read or linked. The message is complete on its own and names where the schema
 * came from (a descriptor-set file, or an upstream's reflection answer) and what is wrong with it.
 */
public final class SchemaException extends Exception {

    private static final long serialVersionUID = 1L;

    public SchemaException(String message) {
        super(message);
    }

    public SchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
