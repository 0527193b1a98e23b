package dev.portico.loadtest;

/** A check that makes a measurement worthless: the point is reported as FAILED, never with its numbers. */
final class CheckFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CheckFailed(String message) {
        super(message);
    }
}
