package dev.portico.proxy.deploy;

import static dev.portico.proxy.testing.DeployFiles.at;
import static dev.portico.proxy.testing.DeployFiles.list;
import static dev.portico.proxy.testing.DeployFiles.listAt;
import static dev.portico.proxy.testing.DeployFiles.map;
import static dev.portico.proxy.testing.DeployFiles.mapAt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.ClusterSettings;
import dev.portico.config.HostAndPort;
import dev.portico.config.PorticoSettings;
import dev.portico.proxy.testing.DeployFiles;
import dev.portico.proxy.testing.Dockerfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kustomize base under deploy/kubernetes/, read as kubectl reads it and checked for what a rollout
 * depends on: the HOCON of the ConfigMap loads with Portico's own loader, the probes and Service reach the
 * ports that configuration opens, a pod outlives its drain, the pods run non-root on a read-only file system,
 * and the autoscaler, disruption budget and upstream Service point at what they mean to.
 */
class KubernetesManifestsTest {
    private static final String BASE = "deploy/kubernetes/";

    private static Map<String, Object> kustomization;
    /** Every object of the base by kind/name, e.g. "Deployment/portico". */
    private static Map<String, Map<String, Object>> objects;
    private static PorticoSettings portico;

    @BeforeAll
    static void read() throws Exception {
        kustomization = DeployFiles.yaml(BASE + "kustomization.yaml");
        objects = new LinkedHashMap<>();
        for (Object resource : listAt(kustomization, "resources")) {
            for (Map<String, Object> object : DeployFiles.yamlDocuments(BASE + resource)) {
                objects.put(at(object, "kind") + "/" + at(object, "metadata", "name"), object);
            }
        }
        final Map<String, Object> generator = map(listAt(kustomization, "configMapGenerator").get(0));
        assertThat(generator.get("name")).isEqualTo("portico-config");
        portico = DeployFiles.porticoConfig(BASE + list(generator.get("files")).get(0));
    }

    @Test
    void theAccessLogIsOn() {
        assertThat(portico.accessLog().enabled()).as("off by default, on where Portico is deployed").isTrue();
    }

    @Test
    void theBaseHasTheDeploymentServiceAutoscalerDisruptionBudgetAndAnExampleUpstream() {
        assertThat(objects).containsOnlyKeys("Deployment/portico", "Service/portico",
                                             "HorizontalPodAutoscaler/portico", "PodDisruptionBudget/portico",
                                             "Service/demo-backend", "Deployment/demo-backend");
    }

    @Test
    void theConfigMapIsMountedWherePorticoIsToldToReadIt() {
        final Map<String, Object> pod = podSpec("portico");
        final Map<String, Object> container = container(pod);
        final List<Object> args = listAt(container, "args");
        final String config = (String) args.get(args.indexOf("--config") + 1);
        final Map<String, Object> mount = mountOf(container, "/etc/portico");
        assertThat(config).isEqualTo(at(mount, "mountPath") + "/portico.conf");
        assertThat(volume(pod, (String) mount.get("name")).get("configMap"))
                .isEqualTo(Map.of("name", "portico-config"));
    }

    @Test
    void probesReachTheAdminPortAndTheServiceReachesTheListenerPorticoOpens() {
        final Map<String, Object> container = container(podSpec("portico"));
        assertThat(portico.listen().host()).isEqualTo("0.0.0.0");
        assertThat(portico.admin().host()).isEqualTo("0.0.0.0");
        assertThat(containerPort(container, "http")).isEqualTo(portico.listen().port());
        assertThat(containerPort(container, "admin")).isEqualTo(portico.admin().port());

        assertThat(mapAt(container, "readinessProbe", "httpGet"))
                .isEqualTo(Map.of("path", "/readyz", "port", "admin"));
        assertThat(mapAt(container, "livenessProbe", "httpGet"))
                .isEqualTo(Map.of("path", "/healthz", "port", "admin"));
        assertThat(mapAt(container, "startupProbe", "httpGet"))
                .isEqualTo(Map.of("path", "/healthz", "port", "admin"));

        final Map<String, Object> service = objects.get("Service/portico");
        assertThat(at(service, "spec", "selector")).isEqualTo(podLabels("portico"));
        for (Object port : listAt(service, "spec", "ports")) {
            assertThat(containerPort(container, (String) at(port, "targetPort"))).isNotNull();
        }
        assertThat(at(objects.get("Deployment/portico"), "spec", "template", "metadata", "annotations",
                      "prometheus.io/port")).isEqualTo(Integer.toString(portico.admin().port()));
    }

    @Test
    void aStoppingPodServesThroughItsPreStopPauseThenDrainsWithinItsGracePeriod() {
        final Map<String, Object> pod = podSpec("portico");
        final List<Object> preStop = listAt(container(pod), "lifecycle", "preStop", "exec", "command");
        assertThat(preStop.get(0)).isEqualTo("sleep");
        final Duration pause = Duration.ofSeconds(Long.parseLong((String) preStop.get(1)));
        assertThat(pause).as("about one readiness period: endpoints and load balancers catch up")
                .isBetween(Duration.ofSeconds(3), Duration.ofSeconds(15));
        // The pod's clock starts with preStop; Portico then drains for the grace period, and takes up to
        // 2 s more to close the drained connections.
        final Duration needed = pause.plus(portico.listen().shutdownGracePeriod()).plusSeconds(2);
        assertThat(Duration.ofSeconds(((Number) pod.get("terminationGracePeriodSeconds")).longValue()))
                .isGreaterThan(needed);
        assertThat(at(objects.get("Deployment/portico"), "spec", "strategy", "rollingUpdate", "maxUnavailable"))
                .as("a rollout never goes below the wanted replicas").isEqualTo(0);
    }

    @Test
    void everyPodRunsAsTheImagesNonRootUserOnAReadOnlyRootFileSystemWithATmpVolume() throws Exception {
        final int imageUser = Integer.parseInt(Dockerfile.read().last("USER").orElseThrow().arguments());
        for (String deployment : List.of("portico", "demo-backend")) {
            final Map<String, Object> pod = podSpec(deployment);
            assertThat(at(pod, "securityContext", "runAsNonRoot")).as(deployment).isEqualTo(true);
            assertThat(at(pod, "securityContext", "runAsUser")).as(deployment).isEqualTo(imageUser);
            assertThat(at(pod, "securityContext", "seccompProfile", "type")).isEqualTo("RuntimeDefault");
            final Map<String, Object> container = container(pod);
            final Map<String, Object> security = mapAt(container, "securityContext");
            assertThat(security.get("readOnlyRootFilesystem")).as(deployment).isEqualTo(true);
            assertThat(security.get("allowPrivilegeEscalation")).as(deployment).isEqualTo(false);
            assertThat(listAt(container, "securityContext", "capabilities", "drop")).containsExactly("ALL");
            // The JVM's perf data and Netty's native library go to /tmp.
            assertThat(volume(pod, (String) mountOf(container, "/tmp").get("name"))).containsKey("emptyDir");
            assertThat(mapAt(container, "resources", "requests")).containsKeys("cpu", "memory");
            assertThat(mapAt(container, "resources", "limits")).containsKey("memory");
        }
    }

    @Test
    void everyImageIsTheOneKustomizeSetsToAPinnedTag() {
        final Map<String, Object> image = map(listAt(kustomization, "images").get(0));
        assertThat((String) image.get("newTag")).matches("[0-9]+(\\.[0-9]+)+");
        for (String deployment : List.of("portico", "demo-backend")) {
            assertThat(container(podSpec(deployment)).get("image")).isEqualTo(image.get("name"));
        }
    }

    @Test
    void theAutoscalerScalesTheDeploymentOnCpuAndTheBudgetLetsOnePodGoAtATime() {
        final Map<String, Object> hpa = objects.get("HorizontalPodAutoscaler/portico");
        assertThat(at(hpa, "apiVersion")).isEqualTo("autoscaling/v2");
        assertThat(mapAt(hpa, "spec", "scaleTargetRef"))
                .containsEntry("kind", "Deployment").containsEntry("name", "portico");
        assertThat((Integer) at(hpa, "spec", "minReplicas")).as("one pod lost leaves one")
                .isGreaterThanOrEqualTo(2);
        final Map<String, Object> metric = map(listAt(hpa, "spec", "metrics").get(0));
        assertThat(at(metric, "resource", "name")).isEqualTo("cpu");
        assertThat(at(metric, "resource", "target", "type")).isEqualTo("Utilization");

        final Map<String, Object> pdb = objects.get("PodDisruptionBudget/portico");
        assertThat(at(pdb, "spec", "selector", "matchLabels")).isEqualTo(podLabels("portico"));
        assertThat(at(pdb, "spec", "maxUnavailable")).isEqualTo(1);
    }

    @Test
    void porticoFindsTheUpstreamPodsThroughTheHeadlessServicesDnsName() {
        final ClusterSettings cluster = portico.upstreamPool().defaultCluster();
        assertThat(cluster.endpoints()).hasSize(1);
        final HostAndPort endpoint = cluster.endpoints().get(0);
        final Map<String, Object> service = objects.get("Service/" + endpoint.host());
        assertThat(service).as("a Service named as the endpoint's host").isNotNull();
        assertThat(at(service, "spec", "clusterIP")).as("headless: one A record per pod").isEqualTo("None");
        final Map<String, Object> port = map(listAt(service, "spec", "ports").get(0));
        assertThat(port.get("port")).isEqualTo(endpoint.port());
        assertThat(at(service, "spec", "selector")).isEqualTo(podLabels("demo-backend"));

        final Map<String, Object> backend = container(podSpec("demo-backend"));
        assertThat(containerPort(backend, (String) port.get("targetPort"))).isEqualTo(endpoint.port());
        final List<Object> args = listAt(backend, "args");
        assertThat(args.get(0)).isEqualTo("demo-backend");
        assertThat(args.get(args.indexOf("--port") + 1)).isEqualTo(Integer.toString(endpoint.port()));
        assertThat(args.get(args.indexOf("--host") + 1)).isEqualTo("0.0.0.0");
        assertThat(mapAt(backend, "readinessProbe", "grpc")).containsEntry("port", endpoint.port());
        assertThat(cluster.healthCheck().enabled()).isTrue();
    }

    private static Map<String, Object> podSpec(String deployment) {
        return mapAt(objects.get("Deployment/" + deployment), "spec", "template", "spec");
    }

    private static Object podLabels(String deployment) {
        final Map<String, Object> labels = mapAt(objects.get("Deployment/" + deployment), "spec", "template",
                                                 "metadata", "labels");
        assertThat(at(objects.get("Deployment/" + deployment), "spec", "selector", "matchLabels"))
                .isEqualTo(labels);
        return labels;
    }

    private static Map<String, Object> container(Map<String, Object> pod) {
        final List<Object> containers = listAt(pod, "containers");
        assertThat(containers).hasSize(1);
        return map(containers.get(0));
    }

    private static Integer containerPort(Map<String, Object> container, String name) {
        for (Object port : listAt(container, "ports")) {
            if (name.equals(at(port, "name"))) {
                return (Integer) at(port, "containerPort");
            }
        }
        throw new AssertionError("no container port named " + name);
    }

    private static Map<String, Object> mountOf(Map<String, Object> container, String path) {
        final List<String> paths = new ArrayList<>();
        for (Object mount : listAt(container, "volumeMounts")) {
            paths.add((String) at(mount, "mountPath"));
            if (path.equals(at(mount, "mountPath"))) {
                return map(mount);
            }
        }
        throw new AssertionError("nothing mounted at " + path + ": " + paths);
    }

    private static Map<String, Object> volume(Map<String, Object> pod, String name) {
        for (Object volume : listAt(pod, "volumes")) {
            if (name.equals(at(volume, "name"))) {
                return map(volume);
            }
        }
        throw new AssertionError("no volume " + name);
    }
}
