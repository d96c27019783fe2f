package io.pgtier.wildfly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.support.HoldEndpoint;
import io.pgtier.support.PortableContract;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.ContainerController;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.ResourceAdapterArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The unchanged pgtier RAR and the application WAR in a real WildFly (Maven's distribution,
 * {@code standalone.xml}), configured as a user would with {@code server-config/wildfly/}'s
 * {@code microprofile-health.cli} and {@code pgtier.cli}, and the two WEB-INF files next to them;
 * then the {@link PortableContract}, readiness DOWN and UP, and nothing left running.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WildFlyIT extends PortableContract {

    private static final String CONTAINER = "wildfly";
    private static final int HTTP_PORT = 8080 + 300;
    private static final int MANAGEMENT_PORT = 9990 + 300;
    private static final URI MANAGEMENT = URI.create("http://127.0.0.1:" + MANAGEMENT_PORT + "/");

    @ArquillianResource
    private ContainerController controller;

    @ArquillianResource
    private Deployer deployer;

    @Override
    protected URI app() {
        return URI.create("http://127.0.0.1:" + HTTP_PORT + "/pgtier-web/");
    }

    @Deployment(name = "rar", managed = false, order = 1, testable = false)
    @TargetsContainer(CONTAINER)
    static ResourceAdapterArchive rar() {
        return ShrinkWrap.createFromZipFile(ResourceAdapterArchive.class, deps().resolve("pgtier-rar.rar").toFile());
    }

    @Deployment(name = "war", managed = false, order = 2, testable = false)
    @TargetsContainer(CONTAINER)
    static WebArchive war() {
        Path config = Path.of(required("pgtier.wildfly.config"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, deps().resolve("pgtier-web.war").toFile())
                .addAsWebInfResource(config.resolve("jboss-deployment-structure.xml").toFile(), "jboss-deployment-structure.xml")
                .addAsWebInfResource(config.resolve("jboss-web.xml").toFile(), "jboss-web.xml")
                .addClass(HoldEndpoint.class);
    }

    @Test
    @Order(1)
    @DisplayName("deploy: pgtier.cli activates the adapter and its pools, the RAR and the WAR deploy, readiness is UP")
    void deploys() throws Exception {
        controller.start(CONTAINER);
        cli(Files.readString(Path.of(required("pgtier.wildfly.config")).resolve("microprofile-health.cli")));
        cli(Files.readString(Path.of(required("pgtier.wildfly.config")).resolve("pgtier.cli"))
                .replace("${env.PGTIER_PRIMARY_URL}", primaryRoute.jdbcUrl())
                .replace("${env.PGTIER_BACKUP_URL:}", backup.jdbcUrl())
                // WildFly refuses an empty value: a tier without a URL is left out.
                .replaceAll("(?m)^.*failoverUrl:add\\(value=\"\\$\\{env.PGTIER_FAILOVER_URL:}\"\\)\n", "")
                .replace("${env.PGTIER_USER}", PgServer.USER)
                .replace("${env.PGTIER_PASSWORD}", PgHarness.PASSWORD)
                // The resilience tests' tuning, as in the Payara tests: a scenario takes seconds.
                .replace("run-batch", String.join("\n",
                        ra("config-properties=healthCheckIntervalSeconds:add(value=1)"),
                        ra("config-properties=probeTimeoutSeconds:add(value=1)"),
                        ra("config-properties=probeFailuresBeforeDown:add(value=2)"),
                        ra("connection-definitions=pgtier-rw/config-properties=loginTimeoutSeconds:add(value=2)"),
                        ra("connection-definitions=pgtier-rw/config-properties=failbackAfterSeconds:add(value=3)"),
                        ra("connection-definitions=pgtier-rw/config-properties=breakerWaitInOpenStateSeconds:add(value=2)"),
                        "run-batch")));
        String state = cli(":read-attribute(name=server-state)");
        if (state.contains("reload-required")) {
            cli("reload");
        }
        deployer.deploy("rar");
        deployer.deploy("war");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<String> ready = get(MANAGEMENT.resolve("health/ready"));
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(ready.body()).contains("pgtier");
        });
    }

    @Test
    @Order(7)
    @DisplayName("readiness (MicroProfile Health): DOWN while no tier can serve, UP again when one can")
    void readinessDownAndUp() {
        primary.stop();
        backup.stop();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> ready = get(MANAGEMENT.resolve("health/ready"));
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
                assertThat(ready.body()).contains("pgtier").contains("DOWN");
            });
        } finally {
            primary.start();
            backup.start();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get(MANAGEMENT.resolve("health/ready")).statusCode()).isEqualTo(200));
    }

    @Test
    @Order(8)
    @DisplayName("undeploy and stop: no pgtier session is left on any server, and WildFly's ports are closed")
    void nothingLeftRunning() throws Exception {
        deployer.undeploy("war");
        deployer.undeploy("rar");
        controller.stop(CONTAINER);
        assertNothingLeft(HTTP_PORT, MANAGEMENT_PORT);
    }

    private static String ra(String operation) {
        return "/subsystem=resource-adapters/resource-adapter=pgtier-rar.rar/" + operation;
    }

    /** Runs jboss-cli commands (one per line) against the running server; fails with its output when it fails. */
    private static String cli(String commands) throws IOException, InterruptedException {
        Path file = Files.createTempFile(Files.createDirectories(Path.of(required("pgtier.work"))), "pgtier", ".cli");
        Files.writeString(file, commands);
        Path home = Path.of(required("pgtier.wildfly.home"));
        Process p = new ProcessBuilder(home.resolve("bin/jboss-cli.sh").toString(), "--connect",
                "--controller=remote+http://127.0.0.1:" + MANAGEMENT_PORT, "--file=" + file)
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("jboss-cli ended").isTrue();
        assertThat(p.exitValue()).as("jboss-cli: " + output).isZero();
        Files.delete(file);
        return output;
    }
}
