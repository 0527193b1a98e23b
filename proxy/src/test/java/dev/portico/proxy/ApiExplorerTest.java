package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.portico.demo.v1.Demo;
import dev.portico.proxy.demo.DemoService;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.DescriptorSets;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.InventoryBackend;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawHttp1Connection;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API explorer's endpoints on the admin listener, against two real grpc-java upstreams in two clusters:
 * the demo service (default cluster) and InventoryService (src/test/proto: enums, nested, repeated and map
 * fields, well-known types), both learnt by reflection. Templates are checked the way the page uses them:
 * sent to Portico's listener as Connect JSON.
 */
class ApiExplorerTest {
    private static final String EXPLORER_ON = "portico.admin.explorer.enabled = true\n";
    private static final String PUT_ITEM = "portico.test.v1.InventoryService/PutItem";

    private static InventoryBackend inventory;

    @TempDir
    Path dir;

    @BeforeAll
    static void startInventory() throws IOException {
        inventory = InventoryBackend.start();
    }

    @AfterAll
    static void stopInventory() throws InterruptedException {
        inventory.close();
    }

    private static String withInventoryCluster() {
        return EXPLORER_ON + "portico.upstream.clusters.inventory { endpoints = [\"127.0.0.1:"
               + inventory.port() + "\"], services = [\"portico.test.v1.*\"] }\n";
    }

    @Test
    void everyClustersServicesAreListedWithTheirMethodsAndWhereCallsGo() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(withInventoryCluster())) {
            final String origin = "http://127.0.0.1:" + portico.adminPort();
            final JsonObject listing = getJson(portico.adminPort(), "/explorer/api/services?origin="
                                                   + URLEncoder.encode(origin, StandardCharsets.UTF_8));

            assertThat(names(listing.getAsJsonArray("services")))
                    .as("sorted, reflection left out")
                    .containsExactly("grpc.health.v1.Health", "portico.demo.v1.DemoService",
                                     "portico.test.v1.InventoryService");
            final JsonObject demo = service(listing, "portico.demo.v1.DemoService");
            assertThat(demo.get("cluster").getAsString()).isEqualTo("default");
            assertThat(demo.get("source").getAsString()).isEqualTo("reflection");
            assertThat(methodKinds(demo)).containsExactly(
                    "Echo unary", "ServerStream server-streaming", "ClientStream client-streaming",
                    "BidiStream bidi-streaming", "Fail unary", "Stats unary");
            final JsonObject echo = demo.getAsJsonArray("methods").get(0).getAsJsonObject();
            assertThat(echo.get("path").getAsString()).isEqualTo("/portico.demo.v1.DemoService/Echo");
            assertThat(echo.get("requestType").getAsString()).isEqualTo("portico.demo.v1.EchoRequest");
            assertThat(echo.get("responseType").getAsString()).isEqualTo("portico.demo.v1.EchoResponse");
            final JsonObject items = service(listing, "portico.test.v1.InventoryService");
            assertThat(items.get("cluster").getAsString()).isEqualTo("inventory");
            assertThat(methodKinds(items)).containsExactly(
                    "PutItem unary", "WatchItems server-streaming", "ImportItems client-streaming",
                    "SyncItems bidi-streaming", "Ping unary");
            assertThat(listing.getAsJsonArray("problems")).isEmpty();
            final JsonObject front = listing.getAsJsonObject("front");
            assertThat(front.get("url").isJsonNull()).isTrue();
            assertThat(front.get("scheme").getAsString()).isEqualTo("http");
            assertThat(front.get("port").getAsInt()).isEqualTo(portico.port());
            assertThat(listing.getAsJsonObject("cors").get("origin").getAsString()).isEqualTo(origin);
            assertThat(listing.getAsJsonObject("cors").get("allowed").getAsBoolean()).isTrue();
        }
    }

    @Test
    void aMethodComesWithItsTemplateAndTheFieldsAndEnumsOfEveryTypeItReaches() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(withInventoryCluster())) {
            final JsonObject method = getJson(portico.adminPort(), "/explorer/api/method?name=" + PUT_ITEM);

            assertThat(method.get("kind").getAsString()).isEqualTo("unary");
            assertThat(method.get("noSideEffects").getAsBoolean()).isFalse();
            assertThat(method.getAsJsonObject("template").get("status").getAsString())
                    .isEqualTo("ITEM_STATUS_UNSPECIFIED");
            final JsonObject types = method.getAsJsonObject("types");
            assertThat(types.keySet()).contains(
                    "portico.test.v1.Item", "portico.test.v1.PutItemResponse", "portico.test.v1.ItemStatus",
                    "portico.test.v1.Item.Dimensions", "portico.test.v1.Item.Dimensions.Unit",
                    "portico.test.v1.Item.Part", "google.protobuf.Timestamp", "google.protobuf.Any");
            assertThat(method.get("typesTruncated").getAsBoolean()).isFalse();
            assertThat(field(types, "portico.test.v1.Item", "stock_by_site")).isEqualTo(JsonParser.parseString(
                    "{\"name\":\"stock_by_site\",\"jsonName\":\"stockBySite\",\"number\":4,\"label\":\"map\","
                    + "\"keyType\":\"string\",\"type\":\"int64\",\"typeKind\":\"scalar\"}"));
            assertThat(field(types, "portico.test.v1.Item", "parts_by_slot")).isEqualTo(JsonParser.parseString(
                    "{\"name\":\"parts_by_slot\",\"jsonName\":\"partsBySlot\",\"number\":7,\"label\":\"map\","
                    + "\"keyType\":\"int32\",\"type\":\"portico.test.v1.Item.Part\","
                    + "\"typeKind\":\"message\"}"));
            assertThat(field(types, "portico.test.v1.Item", "history")).isEqualTo(JsonParser.parseString(
                    "{\"name\":\"history\",\"jsonName\":\"history\",\"number\":24,\"label\":\"repeated\","
                    + "\"type\":\"portico.test.v1.ItemStatus\",\"typeKind\":\"enum\"}"));
            assertThat(field(types, "portico.test.v1.Item", "price_quote").get("oneof").getAsString())
                    .isEqualTo("price");
            assertThat(field(types, "portico.test.v1.Item", "note").get("label").getAsString())
                    .isEqualTo("optional");
            assertThat(field(types, "portico.test.v1.Item", "legacy_code").get("jsonName").getAsString())
                    .isEqualTo("legacy");
            assertThat(types.getAsJsonObject("portico.test.v1.Item.Dimensions.Unit")).isEqualTo(
                    JsonParser.parseString("{\"kind\":\"enum\",\"values\":[{\"name\":\"UNIT_UNSPECIFIED\","
                                           + "\"number\":0},{\"name\":\"UNIT_CM\",\"number\":1},"
                                           + "{\"name\":\"UNIT_INCH\",\"number\":2}]}"));
            assertThat(types.getAsJsonObject("google.protobuf.Timestamp")).isEqualTo(JsonParser.parseString(
                    "{\"kind\":\"message\",\"wellKnown\":true,\"example\":\"1970-01-01T00:00:00Z\"}"));
        }
    }

    @Test
    void everyTemplateIsACallPorticoTakesForEitherUpstream() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(withInventoryCluster());
             TestHttpClient client = portico.connect(Transport.H2C)) {
            final List<String> calls = new ArrayList<>();
            for (String name : List.of("portico.demo.v1.DemoService/Echo", PUT_ITEM,
                                       "portico.test.v1.InventoryService/Ping")) {
                final JsonObject template = getJson(portico.adminPort(), "/explorer/api/method?name=" + name)
                        .getAsJsonObject("template");
                final TestHttpClient.Response response = client.call(
                        HttpMethod.POST, "/" + name, ConnectWire.unaryHeaders("json"),
                        ConnectWire.utf8(template.toString()));
                calls.add(name + " " + response.status());
            }
            for (String name : List.of("portico.test.v1.InventoryService/WatchItems",
                                       "portico.test.v1.InventoryService/ImportItems",
                                       "portico.test.v1.InventoryService/SyncItems")) {
                final JsonObject template = getJson(portico.adminPort(), "/explorer/api/method?name=" + name)
                        .getAsJsonObject("template");
                final TestHttpClient.Response response = client.call(
                        HttpMethod.POST, "/" + name, ConnectWire.streamHeaders("json"),
                        ConnectWire.envelope(0, ConnectWire.utf8(template.toString())));
                calls.add(name + " " + ConnectWire.parseStream(response.body()).end());
            }

            assertThat(calls).containsExactly(
                    "portico.demo.v1.DemoService/Echo 200", PUT_ITEM + " 200",
                    "portico.test.v1.InventoryService/Ping 200",
                    "portico.test.v1.InventoryService/WatchItems {}",
                    "portico.test.v1.InventoryService/ImportItems {}",
                    "portico.test.v1.InventoryService/SyncItems {}");
        }
    }

    @Test
    void aServiceFromADescriptorSetIsListedAndAClusterWithoutReflectionIsAProblemLine() throws Exception {
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        final Server withoutReflection = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new DemoService(timer).definition())
                .build()
                .start();
        final Path set = Files.write(dir.resolve("demo.binpb"),
                                     DescriptorSets.withImports(Demo.getDescriptor()).toByteArray());
        try (PorticoFixture portico = PorticoFixture.startInFrontOf(withoutReflection.getPort(),
                EXPLORER_ON + "portico.schema.descriptor-sets = [\"" + set + "\"]")) {
            final JsonObject listing = getJson(portico.adminPort(), "/explorer/api/services");

            assertThat(names(listing.getAsJsonArray("services")))
                    .containsExactly("portico.demo.v1.DemoService");
            assertThat(service(listing, "portico.demo.v1.DemoService").get("source").getAsString())
                    .isEqualTo("descriptor set");
            assertThat(listing.getAsJsonArray("problems")).hasSize(1);
            assertThat(listing.getAsJsonArray("problems").get(0).getAsString())
                    .startsWith("cluster default: ").contains("serves no reflection service");
            assertThat(listing.has("cors")).as("no origin asked about").isFalse();
        } finally {
            withoutReflection.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            timer.shutdownNow();
        }
    }

    @Test
    void theListingSaysWhenCorsDoesNotAllowThePageToCallPortico() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(
                EXPLORER_ON + "portico.cors.allowed-origins = [\"https://app.example.com\"]")) {
            final String origin = "http://127.0.0.1:" + portico.adminPort();
            final JsonObject cors = getJson(portico.adminPort(), "/explorer/api/services?origin=" + origin)
                    .getAsJsonObject("cors");

            assertThat(cors.get("allowed").getAsBoolean()).isFalse();
        }
    }

    @Test
    void aConfiguredFrontUrlIsWhereThePageSendsCalls() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(
                EXPLORER_ON + "portico.admin.explorer.front-url = \"https://api.example.com/\"")) {
            final JsonObject front = getJson(portico.adminPort(), "/explorer/api/services")
                    .getAsJsonObject("front");

            assertThat(front.get("url").getAsString()).isEqualTo("https://api.example.com");
        }
    }

    @Test
    void anUnknownMethodIsNotFoundAndAMissingNameABadRequest() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(EXPLORER_ON)) {
            final TestHttpClient.Response unknown =
                    get(portico.adminPort(), "/explorer/api/method?name=portico.demo.v1.DemoService/Nope");
            final TestHttpClient.Response missing = get(portico.adminPort(), "/explorer/api/method");
            final TestHttpClient.Response other = get(portico.adminPort(), "/explorer/api/other");

            assertThat(unknown.status()).isEqualTo(404);
            assertThat(json(unknown).get("error").getAsString())
                    .startsWith("no schema for portico.demo.v1.DemoService/Nope");
            assertThat(missing.status()).isEqualTo(400);
            assertThat(other.status()).isEqualTo(404);
        }
    }

    @Test
    void thePageIsServedWithItsFilesAndAPolicyThatKeepsItToThem() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(EXPLORER_ON)) {
            final TestHttpClient.Response bare = get(portico.adminPort(), "/explorer");
            final TestHttpClient.Response page = get(portico.adminPort(), "/explorer/");
            final TestHttpClient.Response script = get(portico.adminPort(), "/explorer/explorer.js");
            final TestHttpClient.Response style = get(portico.adminPort(), "/explorer/explorer.css");

            assertThat(bare.status()).isEqualTo(302);
            assertThat(bare.headers().get("location")).isEqualTo("/explorer/");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.headers().get("content-type")).isEqualTo("text/html; charset=utf-8");
            assertThat(page.headers().get("content-security-policy")).startsWith("default-src 'self'");
            assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("<title>Portico API explorer");
            assertThat(script.headers().get("content-type")).isEqualTo("text/javascript; charset=utf-8");
            assertThat(style.headers().get("content-type")).isEqualTo("text/css; charset=utf-8");
        }
    }

    @Test
    void whenDisabledTheExplorerIsNotFoundAndItIsNeverOnTheFrontListener() throws Exception {
        try (PorticoFixture off = PorticoFixture.start("");
             PorticoFixture on = PorticoFixture.start(EXPLORER_ON)) {
            for (String path : List.of("/explorer", "/explorer/", "/explorer/explorer.js",
                                       "/explorer/api/services",
                                       "/explorer/api/method?name=portico.demo.v1.DemoService/Echo")) {
                assertThat(get(off.adminPort(), path).status()).as("admin, disabled: " + path).isEqualTo(404);
                final TestHttpClient.Response front = get(on.port(), path);
                assertThat(front.status()).as("front listener, enabled: " + path).isNotEqualTo(200);
                assertThat(new String(front.body(), StandardCharsets.UTF_8)).doesNotContain("explorer.js");
            }
            assertThat(get(off.adminPort(), "/healthz").status()).isEqualTo(200);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInTheirOrderThoughTheExplorerAnswersLater() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start(withInventoryCluster());
             RawHttp1Connection connection = RawHttp1Connection.connect(portico.adminPort())) {
            final int port = portico.adminPort();
            connection.send(GrpcWeb.concat(
                    RawHttp1Connection.request("GET", "/explorer/api/services", port, Map.of(), new byte[0]),
                    RawHttp1Connection.request("GET", "/healthz", port, Map.of(), new byte[0]),
                    RawHttp1Connection.request("GET", "/explorer/api/method?name=" + PUT_ITEM, port, Map.of(),
                                               new byte[0])));

            assertThat(json(connection.readResponse()).has("services")).isTrue();
            assertThat(new String(connection.readResponse().body(), StandardCharsets.UTF_8)).isEqualTo("ok\n");
            assertThat(json(connection.readResponse()).get("name").getAsString()).isEqualTo("PutItem");
        }
    }

    // ---- helpers ----

    private static TestHttpClient.Response get(int port, String path) throws IOException {
        try (RawHttp1Connection connection = RawHttp1Connection.connect(port)) {
            connection.send(RawHttp1Connection.request("GET", path, port, Map.of(), new byte[0]));
            return connection.readResponse();
        }
    }

    private static JsonObject getJson(int port, String path) throws IOException {
        final TestHttpClient.Response response = get(port, path);
        assertThat(response.status())
                .as("GET %s: %s", path, new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        assertThat(response.headers().get("content-type")).isEqualTo("application/json; charset=utf-8");
        return json(response);
    }

    private static JsonObject json(TestHttpClient.Response response) {
        return ConnectWire.json(response.body());
    }

    private static List<String> names(JsonArray services) {
        final List<String> names = new ArrayList<>();
        services.forEach(s -> names.add(s.getAsJsonObject().get("name").getAsString()));
        return names;
    }

    private static JsonObject service(JsonObject listing, String name) {
        for (JsonElement service : listing.getAsJsonArray("services")) {
            if (service.getAsJsonObject().get("name").getAsString().equals(name)) {
                return service.getAsJsonObject();
            }
        }
        throw new AssertionError("no service " + name + " in " + listing);
    }

    private static List<String> methodKinds(JsonObject service) {
        final List<String> kinds = new ArrayList<>();
        for (JsonElement m : service.getAsJsonArray("methods")) {
            kinds.add(m.getAsJsonObject().get("name").getAsString() + " "
                      + m.getAsJsonObject().get("kind").getAsString());
        }
        return kinds;
    }

    private static JsonObject field(JsonObject types, String type, String field) {
        for (JsonElement f : types.getAsJsonObject(type).getAsJsonArray("fields")) {
            if (f.getAsJsonObject().get("name").getAsString().equals(field)) {
                return f.getAsJsonObject();
            }
        }
        throw new AssertionError("no field " + field + " in " + type);
    }
}
