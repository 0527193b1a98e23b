package dev.portico.config;

/**
 * The configuration cannot be used. The message is complete on its own, so start-up can print it and exit:
 * it names the key by its full path, says what is wrong, and where the value came from when that is known,
 * for example {@code portico.listen.port (portico.conf:3): must be between 0 and 65535, got 70000}.
 */
public final class InvalidConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidConfigException(String message) {
        super(message);
    }

    public InvalidConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
