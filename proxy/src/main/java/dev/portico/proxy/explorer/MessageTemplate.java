package dev.portico.proxy.explorer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.NullValue;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * A message as an editable JSON template in the proto3 JSON mapping (protobuf.dev/programming-guides/proto3,
 * "JSON Mapping"), which Connect JSON and Portico's transcoder parse: every field under its JSON name
 * ({@code lowerCamelCase}, or its {@code json_name}) with a zero value of its type. A repeated field holds one
 * element and a map one entry, so that the shape of their values shows; an enum field holds its first value's
 * name; 64-bit integers are strings, as the mapping writes them; the well-known types take their JSON forms
 * (a Timestamp is an RFC 3339 string, a Duration {@code "0s"}, an Int32Value a bare number, ...).
 *
 * <p>Only the first member of a oneof is written (the mapping refuses two members set). A message that
 * contains itself, directly or through others, is written once: deeper, its field is left out (a repeated one
 * is {@code []}, a map {@code {}}). Nesting deeper than {@link #MAX_DEPTH} and fields past {@link #MAX_FIELDS}
 * are left out the same way, which bounds the template of any schema.
 *
 * <p>Stateless; thread-safe.
 */
public final class MessageTemplate {
    /** Messages nested deeper than this are left out of a template. */
    static final int MAX_DEPTH = 8;
    /** Fields written into one template at most, at every depth together. */
    static final int MAX_FIELDS = 1000;

    private static final String PROTOBUF = "google.protobuf.";
    /** The well-known types whose JSON form is not an object of their fields, each with a zero value. */
    private static final Map<String, JsonElement> WELL_KNOWN = Map.ofEntries(
            Map.entry(PROTOBUF + "Timestamp", new JsonPrimitive("1970-01-01T00:00:00Z")),
            Map.entry(PROTOBUF + "Duration", new JsonPrimitive("0s")),
            Map.entry(PROTOBUF + "FieldMask", new JsonPrimitive("")),
            Map.entry(PROTOBUF + "Struct", new JsonObject()),
            Map.entry(PROTOBUF + "ListValue", new JsonArray()),
            Map.entry(PROTOBUF + "Value", JsonNull.INSTANCE),
            Map.entry(PROTOBUF + "Empty", new JsonObject()),
            Map.entry(PROTOBUF + "DoubleValue", new JsonPrimitive(0)),
            Map.entry(PROTOBUF + "FloatValue", new JsonPrimitive(0)),
            Map.entry(PROTOBUF + "Int64Value", new JsonPrimitive("0")),
            Map.entry(PROTOBUF + "UInt64Value", new JsonPrimitive("0")),
            Map.entry(PROTOBUF + "Int32Value", new JsonPrimitive(0)),
            Map.entry(PROTOBUF + "UInt32Value", new JsonPrimitive(0)),
            Map.entry(PROTOBUF + "BoolValue", new JsonPrimitive(false)),
            Map.entry(PROTOBUF + "StringValue", new JsonPrimitive("")),
            Map.entry(PROTOBUF + "BytesValue", new JsonPrimitive("")));
    /** An Any must name its type; Empty is the one every schema can resolve (Portico bundles it). */
    private static final String ANY = PROTOBUF + "Any";
    private static final String EMPTY_TYPE_URL = "type.googleapis.com/google.protobuf.Empty";

    /** Fields still to write; one template is built by one thread. */
    private int fieldsLeft = MAX_FIELDS;

    private MessageTemplate() {
    }

    /** The template of {@code type}: a JSON object, or the JSON form of a well-known type. */
    public static JsonElement of(Descriptor type) {
        return new MessageTemplate().message(type, new ArrayDeque<>());
    }

    /** Whether {@code type} has a JSON form of its own rather than an object of its fields. */
    static boolean isWellKnown(Descriptor type) {
        return WELL_KNOWN.containsKey(type.getFullName()) || ANY.equals(type.getFullName());
    }

    /** @param path the messages being written, outermost last: a type on it is a recursion */
    private JsonElement message(Descriptor type, Deque<Descriptor> path) {
        final JsonElement wellKnown = WELL_KNOWN.get(type.getFullName());
        if (wellKnown != null) {
            return wellKnown.deepCopy();
        }
        final JsonObject object = new JsonObject();
        if (ANY.equals(type.getFullName())) {
            object.addProperty("@type", EMPTY_TYPE_URL);
            return object;
        }
        path.push(type);
        for (FieldDescriptor field : type.getFields()) {
            final OneofDescriptor oneof = field.getRealContainingOneof();
            if (oneof != null && oneof.getField(0) != field) {
                continue;
            }
            if (fieldsLeft-- <= 0) {
                break;
            }
            final JsonElement value = field(field, path);
            if (value != null) {
                object.add(field.getJsonName(), value);
            }
        }
        path.pop();
        return object;
    }

    /** The field's value, or null to leave it out. */
    private JsonElement field(FieldDescriptor field, Deque<Descriptor> path) {
        if (field.isMapField()) {
            final Descriptor entry = field.getMessageType();
            final JsonElement value = single(entry.findFieldByNumber(2), path);
            final JsonObject map = new JsonObject();
            if (value != null) {
                map.add(mapKey(entry.findFieldByNumber(1)), value);
            }
            return map;
        }
        final JsonElement value = single(field, path);
        if (field.isRepeated()) {
            final JsonArray list = new JsonArray();
            if (value != null) {
                list.add(value);
            }
            return list;
        }
        return value;
    }

    /** One value of the field's type, or null when it is a message that must be left out. */
    private JsonElement single(FieldDescriptor field, Deque<Descriptor> path) {
        return switch (field.getType()) {
            case MESSAGE, GROUP -> {
                final Descriptor type = field.getMessageType();
                yield path.contains(type) || path.size() >= MAX_DEPTH ? null : message(type, path);
            }
            case ENUM -> enumValue(field.getEnumType());
            // The mapping writes 64-bit integers as strings: JavaScript numbers lose precision past 2^53.
            case INT64, UINT64, SINT64, FIXED64, SFIXED64 -> new JsonPrimitive("0");
            case INT32, UINT32, SINT32, FIXED32, SFIXED32, DOUBLE, FLOAT -> new JsonPrimitive(0);
            case BOOL -> new JsonPrimitive(false);
            case STRING, BYTES -> new JsonPrimitive("");
        };
    }

    private static JsonElement enumValue(EnumDescriptor type) {
        if (type.getFullName().equals(NullValue.getDescriptor().getFullName())) {
            return JsonNull.INSTANCE;
        }
        return new JsonPrimitive(type.getValues().get(0).getName());
    }

    /** A map key: JSON object keys are strings, whatever the key type. */
    private static String mapKey(FieldDescriptor key) {
        return switch (key.getType()) {
            case STRING -> "key";
            case BOOL -> "false";
            default -> "0";
        };
    }
}
