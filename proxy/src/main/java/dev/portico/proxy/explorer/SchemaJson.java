package dev.portico.proxy.explorer;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import dev.portico.proxy.schema.MethodSchema;
import dev.portico.proxy.schema.RpcKind;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Methods and their message types as the API explorer's page reads them: what a method is (its path, kind and
 * types), and per type its fields (proto name, JSON name, number, type, cardinality, oneof) or enum values.
 *
 * <p>Stateless; thread-safe.
 */
final class SchemaJson {
    /** Types described per method at most: the request's and the response's, and every type they reach. */
    static final int MAX_TYPES = 200;

    private SchemaJson() {
    }

    /** One method, for the services list: name, path, kind and message type names. */
    static JsonObject summary(MethodDescriptor method) {
        final JsonObject json = new JsonObject();
        json.addProperty("name", method.getName());
        // The HTTP path of the call (PROTOCOL-HTTP2.md: Path → ":path" "/" Service-Name "/" {method name}).
        json.addProperty("path", "/" + method.getService().getFullName() + "/" + method.getName());
        final RpcKind kind = RpcKind.of(method.isClientStreaming(), method.isServerStreaming());
        json.addProperty("kind", kind.label());
        json.addProperty("requestType", method.getInputType().getFullName());
        json.addProperty("responseType", method.getOutputType().getFullName());
        return json;
    }

    /**
     * One method in full: its {@link #summary}, whether it may be called with GET, the request template
     * ({@link MessageTemplate}), and every message and enum type its request and response reach, by full name.
     */
    static JsonObject method(MethodSchema schema) {
        final JsonObject json = summary(schema.method());
        json.addProperty("service", schema.method().getService().getFullName());
        json.addProperty("noSideEffects", schema.noSideEffects());
        json.add("template", MessageTemplate.of(schema.input()));
        final JsonObject types = new JsonObject();
        final boolean complete = describeReachable(schema.input(), schema.output(), types);
        json.add("types", types);
        json.addProperty("typesTruncated", !complete);
        return json;
    }

    /**
     * Adds {@code request}, {@code response} and the types they reach to {@code types}, breadth first; false
     * when {@link #MAX_TYPES} cut it short.
     */
    private static boolean describeReachable(Descriptor request, Descriptor response, JsonObject types) {
        final Map<String, GenericDescriptor> seen = new LinkedHashMap<>();
        final Deque<GenericDescriptor> pending = new ArrayDeque<>();
        pending.add(request);
        pending.add(response);
        while (!pending.isEmpty()) {
            final GenericDescriptor type = pending.poll();
            if (seen.containsKey(type.getFullName())) {
                continue;
            }
            if (seen.size() == MAX_TYPES) {
                return false;
            }
            seen.put(type.getFullName(), type);
            if (type instanceof EnumDescriptor e) {
                types.add(e.getFullName(), enumType(e));
            } else if (type instanceof Descriptor m) {
                types.add(m.getFullName(), messageType(m));
                if (!MessageTemplate.isWellKnown(m)) {
                    for (FieldDescriptor field : valueFields(m)) {
                        if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                            pending.add(field.getMessageType());
                        } else if (field.getJavaType() == FieldDescriptor.JavaType.ENUM) {
                            pending.add(field.getEnumType());
                        }
                    }
                }
            }
        }
        return true;
    }

    /** The message's fields, with a map field's value field in place of its (synthetic) entry message. */
    private static Iterable<FieldDescriptor> valueFields(Descriptor type) {
        return type.getFields().stream()
                .map(f -> f.isMapField() ? f.getMessageType().findFieldByNumber(2) : f)
                .toList();
    }

    private static JsonObject messageType(Descriptor type) {
        final JsonObject json = new JsonObject();
        json.addProperty("kind", "message");
        if (MessageTemplate.isWellKnown(type)) {
            // Its JSON form is not an object of its fields: the template shows it, the fields would mislead.
            json.addProperty("wellKnown", true);
            json.add("example", MessageTemplate.of(type));
            return json;
        }
        final JsonArray fields = new JsonArray();
        for (FieldDescriptor field : type.getFields()) {
            fields.add(field(field));
        }
        json.add("fields", fields);
        return json;
    }

    private static JsonObject field(FieldDescriptor field) {
        final JsonObject json = new JsonObject();
        json.addProperty("name", field.getName());
        json.addProperty("jsonName", field.getJsonName());
        json.addProperty("number", field.getNumber());
        final FieldDescriptor value;
        if (field.isMapField()) {
            json.addProperty("label", "map");
            json.addProperty("keyType", typeName(field.getMessageType().findFieldByNumber(1)));
            value = field.getMessageType().findFieldByNumber(2);
        } else {
            // proto3 `optional` is a oneof of one field that descriptors mark synthetic.
            final boolean optional =
                    field.getContainingOneof() != null && field.getRealContainingOneof() == null;
            json.addProperty("label", field.isRepeated() ? "repeated" : optional ? "optional" : "singular");
            value = field;
        }
        json.addProperty("type", typeName(value));
        json.addProperty("typeKind", switch (value.getJavaType()) {
            case MESSAGE -> "message";
            case ENUM -> "enum";
            default -> "scalar";
        });
        final OneofDescriptor oneof = field.getRealContainingOneof();
        if (oneof != null) {
            json.addProperty("oneof", oneof.getName());
        }
        return json;
    }

    /** {@code string}, {@code int64}, ..., or the full name of a message or enum type. */
    private static String typeName(FieldDescriptor field) {
        return switch (field.getJavaType()) {
            case MESSAGE -> field.getMessageType().getFullName();
            case ENUM -> field.getEnumType().getFullName();
            default -> field.getType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static JsonObject enumType(EnumDescriptor type) {
        final JsonObject json = new JsonObject();
        json.addProperty("kind", "enum");
        final JsonArray values = new JsonArray();
        for (EnumValueDescriptor value : type.getValues()) {
            final JsonObject entry = new JsonObject();
            entry.addProperty("name", value.getName());
            entry.addProperty("number", value.getNumber());
            values.add(entry);
        }
        json.add("values", values);
        return json;
    }
}
