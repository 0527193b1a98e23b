package dev.portico.config;

/** How an upstream endpoint's {@code grpc.health.v1.Health} service is asked ({@code health-check.mode}). */
public enum HealthCheckMode {
    /** A {@code Watch} stream, which the endpoint answers on every change; periodic {@code Check} calls when
     *  the endpoint does not implement {@code Watch}. */
    AUTO,
    /** Periodic {@code Check} calls only. */
    CHECK
}
