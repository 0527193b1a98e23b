package dev.portico.proxy.schema;

import static dev.portico.proxy.schema.Schemas.ECHO;
import static dev.portico.proxy.schema.Schemas.FAIL;
import static dev.portico.proxy.schema.Schemas.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.portico.demo.v1.Demo;
import io.grpc.Channel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Schemas from descriptor-set files, and the types every registry knows. */
class SchemaRegistryDescriptorSetTest {
    private static final long TIMEOUT_SECONDS = 10;

    @TempDir
    Path dir;

    private final AtomicInteger upstreamsAsked = new AtomicInteger();
    private final Function<String, Optional<Channel>> noUpstream = service -> {
        upstreamsAsked.incrementAndGet();
        return Optional.empty();
    };

    @ParameterizedTest(name = "reflection = {0}")
    @ValueSource(booleans = {false, true})
    void descriptorSetAnswersWithoutAskingAnUpstream(boolean reflection) throws Exception {
        final Path set = Schemas.writeSet(dir.resolve("demo.binpb"), Schemas.withImports(Demo.getDescriptor()));

        try (SchemaRegistry registry = new SchemaRegistry(settings(reflection, List.of(set)), noUpstream)) {
            final MethodSchema echo = lookup(registry, ECHO).orElseThrow();
            final MethodSchema fail = lookup(registry, FAIL).orElseThrow();

            assertThat(echo.input().getFullName()).isEqualTo("portico.demo.v1.EchoRequest");
            assertThat(echo.output().getFullName()).isEqualTo("portico.demo.v1.EchoResponse");
            assertThat(echo.noSideEffects()).isTrue();
            assertThat(fail.noSideEffects()).isFalse();
            assertThat(registry.knownTypes().find("portico.demo.v1.FailRequest")).isNotNull();
            assertThat(upstreamsAsked).hasValue(0);
        }
    }

    @Test
    void descriptorSetMayLeaveOutWellKnownImportsAndListFilesInAnyOrder() throws Exception {
        // api.proto before the types.proto it imports; neither timestamp.proto nor empty.proto in the set.
        final Path set = Schemas.writeSet(dir.resolve("api.binpb"), List.of(Schemas.API, Schemas.TYPES));

        try (SchemaRegistry registry = new SchemaRegistry(settings(false, List.of(set)), noUpstream)) {
            final MethodSchema get = lookup(registry, "portico.test.v1.Api/Get").orElseThrow();

            assertThat(get.input().getFullName()).isEqualTo("portico.test.v1.Stamp");
            final FieldDescriptor at = get.input().findFieldByName("at");
            assertThat(at.getMessageType().getFullName()).isEqualTo("google.protobuf.Timestamp");
            assertThat(get.output().getFullName()).isEqualTo("google.protobuf.Empty");
            assertThat(get.noSideEffects()).isTrue();
        }
    }

    @Test
    void serviceInTwoSetsIsTakenFromTheFirst() throws Exception {
        final Path first = Schemas.writeSet(dir.resolve("a.binpb"), List.of(Schemas.TYPES, Schemas.API));
        final Path second = Schemas.writeSet(dir.resolve("b.binpb"), List.of(Schemas.TYPES, Schemas.API));

        try (SchemaRegistry registry = new SchemaRegistry(settings(false, List.of(first, second)),
                                                          noUpstream)) {
            assertThat(lookup(registry, "portico.test.v1.Api/Get")).isPresent();
        }
    }

    @Test
    void serviceInNoSetIsEmptyWhenReflectionIsOff() throws Exception {
        final Path set = Schemas.writeSet(dir.resolve("api.binpb"), List.of(Schemas.TYPES, Schemas.API));

        try (SchemaRegistry registry = new SchemaRegistry(settings(false, List.of(set)), noUpstream)) {
            assertThat(lookup(registry, ECHO)).isEmpty();
            assertThat(lookup(registry, "portico.test.v1.Api/NoSuchMethod")).isEmpty();
            assertThat(upstreamsAsked).hasValue(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"text", "empty", "truncated", "a proto that is not a set"})
    void corruptDescriptorSetIsRejectedNamingTheFile(String corruption) throws Exception {
        final byte[] valid = Files.readAllBytes(Schemas.writeSet(dir.resolve("valid.binpb"),
                                                                 List.of(Schemas.TYPES, Schemas.API)));
        final byte[] bytes = switch (corruption) {
            case "text" -> "not a descriptor set\n".getBytes(StandardCharsets.US_ASCII);
            case "empty" -> new byte[0];
            case "truncated" -> Arrays.copyOf(valid, valid.length - 3);
            default -> ErrorInfo.newBuilder().setReason("NOT_A_SET").setDomain("example.com").build()
                                .toByteArray();
        };
        final Path corrupt = Files.write(dir.resolve("corrupt.binpb"), bytes);
        final Path good = dir.resolve("valid.binpb");

        assertThatThrownBy(() -> new SchemaRegistry(settings(false, List.of(good, corrupt)), noUpstream))
                .isInstanceOf(SchemaException.class)
                .hasMessageStartingWith("descriptor set " + corrupt + " ")
                .hasMessageContaining("buf build -o");
    }

    @Test
    void descriptorSetMissingAnImportIsRejectedNamingTheFileAndTheImport() throws Exception {
        final Path set = Schemas.writeSet(dir.resolve("api.binpb"), List.of(Schemas.API));

        assertThatThrownBy(() -> new SchemaRegistry(settings(false, List.of(set)), noUpstream))
                .isInstanceOf(SchemaException.class)
                .hasMessage("descriptor set " + set + ": portico/test/v1/api.proto imports "
                            + "portico/test/v1/types.proto, which is missing");
    }

    @Test
    void descriptorSetThatDoesNotLinkIsRejectedNamingTheFile() throws Exception {
        final Path set = Schemas.writeSet(dir.resolve("bad.binpb"), List.of(Schemas.TYPES.toBuilder()
                .setMessageType(0, Schemas.TYPES.getMessageType(0).toBuilder()
                        .setField(0, Schemas.TYPES.getMessageType(0).getField(0).toBuilder()
                                .setTypeName(".no.such.Type")))
                .build()));

        assertThatThrownBy(() -> new SchemaRegistry(settings(false, List.of(set)), noUpstream))
                .isInstanceOf(SchemaException.class)
                .hasMessageStartingWith("descriptor set " + set
                                        + ": portico/test/v1/types.proto is not a valid schema: ")
                .hasMessageContaining("no.such.Type");
    }

    @Test
    void unreadableDescriptorSetIsRejectedNamingTheFile() {
        assertThatThrownBy(() -> new SchemaRegistry(settings(false, List.of(dir)), noUpstream))
                .isInstanceOf(SchemaException.class)
                .hasMessageStartingWith("cannot read descriptor set " + dir + ": ");
    }

    @Test
    void knownTypesResolveGoogleRpcErrorDetailsAndWellKnownTypes() throws Exception {
        try (SchemaRegistry registry = new SchemaRegistry(settings(false, List.of()), noUpstream)) {
            final TypeRegistry types = registry.knownTypes();

            assertThat(types.find("google.rpc.ErrorInfo")).isSameAs(ErrorInfo.getDescriptor());
            assertThat(types.find("google.rpc.RetryInfo")).isSameAs(RetryInfo.getDescriptor());
            assertThat(types.find("google.rpc.BadRequest")).isSameAs(BadRequest.getDescriptor());
            assertThat(types.getDescriptorForTypeUrl("type.googleapis.com/google.rpc.ErrorInfo"))
                    .isSameAs(ErrorInfo.getDescriptor());
            assertThat(types.find("google.protobuf.Duration")).isNotNull();

            // What the Connect error `debug` field needs: an Any printed as JSON with its fields.
            final Any detail = Any.pack(ErrorInfo.newBuilder().setReason("QUOTA").setDomain("example.com")
                                                 .build());
            final String json = JsonFormat.printer().omittingInsignificantWhitespace()
                                          .usingTypeRegistry(types).print(detail);
            assertThat(json).isEqualTo("{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
                                       + "\"reason\":\"QUOTA\",\"domain\":\"example.com\"}");
        }
    }

    private static Optional<MethodSchema> lookup(SchemaRegistry registry, String method) throws Exception {
        return registry.lookup(method).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
