package dev.portico.proxy.schema;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.ServiceDescriptor;

/**
 * What asking an upstream for one service's schema gave: the value {@link SchemaRegistry} caches per service.
 * Each outcome has its own cache lifetime: a found schema is kept (and refreshed), a missing one is
 * remembered for {@code missing-retry-interval}, and a failure only briefly, since it says nothing about the
 * schema. Immutable.
 */
sealed interface ServiceLookup {

    /**
     * The upstream described the service.
     *
     * @param source for log lines, for example {@code reflection v1 from 127.0.0.1:50051}
     */
    record Found(ServiceDescriptor service, String source) implements ServiceLookup {
        public Found {
            requireNonNull(service, "service");
            requireNonNull(source, "source");
        }
    }

    /**
     * The upstream has no schema for the service: no upstream serves it, it has no reflection service, or its
     * reflection service does not know the service.
     */
    record Missing(String reason) implements ServiceLookup {
        public Missing {
            requireNonNull(reason, "reason");
        }
    }

    /**
     * Asking failed (unreachable upstream, deadline, a broken answer); the schema may well exist.
     *
     * @param cause the exception behind an unexpected failure, for the log; null when {@code reason} says all
     */
    record Failed(String reason, Throwable cause) implements ServiceLookup {
        public Failed {
            requireNonNull(reason, "reason");
        }

        public Failed(String reason) {
            this(reason, null);
        }
    }
}
