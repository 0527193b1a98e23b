package dev.portico.proxy.explorer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Empty;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import dev.portico.demo.v1.Demo;
import dev.portico.test.v1.Inventory;
import dev.portico.test.v1.Item;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Request templates built from real descriptors: the demo service's and InventoryService's (test proto). */
class MessageTemplateTest {

    @Test
    void everyFieldAppearsUnderItsJsonNameWithAZeroValueInTheJsonMappingOfItsType() {
        final JsonElement template = MessageTemplate.of(Item.getDescriptor());

        assertThat(template).isEqualTo(JsonParser.parseString("""
                {
                  "itemId": "",
                  "status": "ITEM_STATUS_UNSPECIFIED",
                  "tags": [""],
                  "stockBySite": {"key": "0"},
                  "dimensions": {"width": 0, "height": 0, "unit": "UNIT_UNSPECIFIED"},
                  "parts": [{"partId": "", "quantity": 0}],
                  "partsBySlot": {"0": {"partId": "", "quantity": 0}},
                  "priceCents": "0",
                  "note": "",
                  "variants": [],
                  "createdAt": "1970-01-01T00:00:00Z",
                  "ttl": "0s",
                  "reorderLevel": 0,
                  "attributes": {},
                  "extension": {"@type": "type.googleapis.com/google.protobuf.Empty"},
                  "updateMask": "",
                  "blob": "",
                  "serial": "0",
                  "fragile": false,
                  "weightKg": 0,
                  "legacy": "",
                  "history": ["ITEM_STATUS_UNSPECIFIED"],
                  "extra": null,
                  "audits": ["1970-01-01T00:00:00Z"]
                }
                """));
    }

    @Test
    void aOneofGetsOnlyItsFirstMemberAndARecursiveFieldIsLeftOutOrEmpty() {
        final JsonObject template = MessageTemplate.of(Item.getDescriptor()).getAsJsonObject();

        assertThat(template.has("priceCents")).isTrue();
        assertThat(template.has("priceQuote")).as("a second member of the oneof").isFalse();
        assertThat(template.has("parent")).as("Item inside Item").isFalse();
        assertThat(template.getAsJsonArray("variants")).isEmpty();
    }

    static Stream<MethodDescriptor> methodsOfBothServices() {
        return Stream.concat(Demo.getDescriptor().getServices().stream(),
                             Inventory.getDescriptor().getServices().stream())
                .flatMap(service -> service.getMethods().stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methodsOfBothServices")
    void theTemplateOfEveryRequestParsesAsThatRequest(MethodDescriptor method) throws Exception {
        assertParses(method.getInputType());
    }

    @Test
    void nestingDeeperThanTheBoundIsLeftOutAndTheTemplateStillParses() throws Exception {
        // Chain0 { Chain1 next = 1; } ... Chain19 { string leaf = 1; }: twenty levels, each a distinct type.
        final FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder()
                .setName("chain.proto").setPackage("chain").setSyntax("proto3");
        for (int i = 0; i < 20; i++) {
            final DescriptorProto.Builder message = DescriptorProto.newBuilder().setName("Chain" + i);
            message.addField(i < 19
                    ? field("next", 1, FieldDescriptorProto.Type.TYPE_MESSAGE, ".chain.Chain" + (i + 1))
                    : field("leaf", 1, FieldDescriptorProto.Type.TYPE_STRING, null));
            file.addMessageType(message);
        }
        final Descriptor outer = FileDescriptor.buildFrom(file.build(), new FileDescriptor[0])
                .findMessageTypeByName("Chain0");

        JsonElement level = MessageTemplate.of(outer);
        int depth = 0;
        while (level.getAsJsonObject().has("next")) {
            level = level.getAsJsonObject().get("next");
            depth++;
        }

        assertThat(depth).isEqualTo(MessageTemplate.MAX_DEPTH - 1);
        assertThat(level.getAsJsonObject().size()).isZero();
        assertParses(outer);
    }

    @Test
    void fieldsPastTheBoundAreLeftOutAndTheTemplateStillParses() throws Exception {
        final DescriptorProto.Builder wide = DescriptorProto.newBuilder().setName("Wide");
        for (int i = 1; i <= MessageTemplate.MAX_FIELDS + 500; i++) {
            wide.addField(field("f" + i, i, FieldDescriptorProto.Type.TYPE_INT32, null));
        }
        final Descriptor type = FileDescriptor.buildFrom(FileDescriptorProto.newBuilder()
                .setName("wide.proto").setPackage("wide").setSyntax("proto3").addMessageType(wide).build(),
                new FileDescriptor[0]).findMessageTypeByName("Wide");

        final JsonObject template = MessageTemplate.of(type).getAsJsonObject();

        assertThat(template.size()).isEqualTo(MessageTemplate.MAX_FIELDS);
        assertThat(template.has("f1")).isTrue();
        assertParses(type);
    }

    private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type,
                                              String typeName) {
        final FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder()
                .setName(name).setNumber(number).setType(type)
                .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL);
        if (typeName != null) {
            field.setTypeName(typeName);
        }
        return field.build();
    }

    /** Parses the template as Portico parses Connect JSON (protobuf's JsonFormat, unknown fields refused). */
    private static void assertParses(Descriptor type) throws Exception {
        final String json = MessageTemplate.of(type).toString();
        final DynamicMessage.Builder message = DynamicMessage.newBuilder(type);
        JsonFormat.parser().usingTypeRegistry(TypeRegistry.newBuilder().add(Empty.getDescriptor()).build())
                .merge(json, message);
    }
}
