package dev.portico.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Exact names, then the longest package prefix, then the default. */
class ServiceRouterTest {
    private final ServiceRouter<String> router = new ServiceRouter<>(Map.of(
            "acme.users.v1.Users", "users",
            "acme.*", "acme",
            "acme.billing.*", "billing",
            "acme.billing.v1.Refunds", "refunds"), "default");

    @Test
    void anExactServiceNameWinsOverEveryPrefix() {
        assertThat(router.route("acme.users.v1.Users")).contains("users");
        assertThat(router.route("acme.billing.v1.Refunds")).contains("refunds");
    }

    @Test
    void theLongestMatchingPrefixWins() {
        assertThat(router.route("acme.billing.v1.Invoices")).contains("billing");
        assertThat(router.route("acme.users.v1.Roles")).contains("acme");
    }

    @Test
    void aPrefixMatchesWholePackageSegmentsOnly() {
        assertThat(router.route("acmeish.Svc")).contains("default");
        assertThat(router.route("acme.billingx.Svc")).contains("acme");
    }

    @Test
    void everythingElseGoesToTheDefault() {
        assertThat(router.route("other.Svc")).contains("default");
    }

    @Test
    void withoutADefaultAnUnlistedServiceHasNoRoute() {
        final ServiceRouter<String> noDefault = new ServiceRouter<>(Map.of("acme.*", "acme"), null);

        assertThat(noDefault.route("other.Svc")).isEmpty();
        assertThat(noDefault.route("acme.Svc")).contains("acme");
    }

    @Test
    void theServiceOfAMethodIsWhatPrecedesTheSlash() {
        assertThat(ServiceRouter.serviceOf("acme.users.v1.Users/Get")).isEqualTo("acme.users.v1.Users");
        assertThat(ServiceRouter.serviceOf("acme.Svc")).isEqualTo("acme.Svc");
    }
}
