package dev.portico.config;

/**
 * What an upstream endpoint that does not implement {@code grpc.health.v1.Health} (it answers UNIMPLEMENTED)
 * counts as ({@code health-check.unimplemented}).
 */
public enum UnimplementedHealthRule {
    /** Healthy while it answers at all: the UNIMPLEMENTED answer proves it is reachable and speaks gRPC. */
    HEALTHY_IF_REACHABLE,
    /** Unhealthy: only endpoints that report SERVING take calls. */
    UNHEALTHY
}
