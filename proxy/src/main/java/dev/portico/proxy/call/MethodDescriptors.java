package dev.portico.proxy.call;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.grpc.MethodDescriptor;
import io.netty.buffer.ByteBuf;

/**
 * Method descriptors for methods Portico has never seen: opaque messages and an UNKNOWN method type, so
 * one proxy serves any service with no generated code. Bounded, so that clients sending made-up method
 * names cannot grow memory without limit. Thread-safe.
 */
public final class MethodDescriptors {
    private final Cache<String, MethodDescriptor<byte[], ByteBuf>> cache;

    public MethodDescriptors(long maximumSize) {
        this.cache = Caffeine.newBuilder().maximumSize(maximumSize).build();
    }

    /** The descriptor for {@code package.Service/Method}. */
    public MethodDescriptor<byte[], ByteBuf> get(String fullMethodName) {
        return cache.get(fullMethodName, name -> MethodDescriptor
                .newBuilder(ByteArrayMarshaller.INSTANCE, ByteBufMarshaller.INSTANCE)
                .setType(MethodDescriptor.MethodType.UNKNOWN)
                .setFullMethodName(name)
                .build());
    }
}
