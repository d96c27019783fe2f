package io.pgtier.glassfish;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.ContainerController;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The unchanged pgtier RAR and the application WAR in a real GlassFish 7 (Maven's distribution, a
 * fresh {@code domain1}), configured with the same {@code asadmin} commands as Payara Micro's
 * post-boot file ({@code server-config/micro/post-boot.asadmin}, run by {@code asadmin multimode});
 * then the {@link PortableContract} and nothing left running. GlassFish 7 has no MicroProfile
 * Health or Metrics: the application deploys without them, and the pools' state is read from its
 * {@code api/status}.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GlassFishIT extends PortableContract {

    private static final String CONTAINER = "glassfish";
    private static final int HTTP_PORT = 8080;
    private static final int ADMIN_PORT = 4848;

    @ArquillianResource
    private ContainerController controller;

    @ArquillianResource
    private Deployer deployer;

    @Override
    protected URI app() {
        return URI.create("http://127.0.0.1:" + HTTP_PORT + "/pgtier-web/");
    }

    @Deployment(name = "war", managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static WebArchive war() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, deps().resolve("pgtier-web.war").toFile())
                .addClass(HoldEndpoint.class);
    }

    @BeforeAll
    static void portsFree() {
        assertThat(listening(HTTP_PORT) || listening(ADMIN_PORT)).as("GlassFish's ports 8080 and 4848 are free").isFalse();
    }

    @AfterAll
    static void stopDomain() throws Exception {
        if (listening(ADMIN_PORT)) {
            // A test failed before the last one stopped the domain: stop it, so nothing is left running.
            new ProcessBuilder(Path.of(required("pgtier.glassfish.home")).resolve("bin/asadmin").toString(), "stop-domain", "domain1")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(120, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1)
    @DisplayName("deploy: asadmin deploys the RAR and creates both pools and resources; the WAR deploys and both pools serve")
    void deploys() throws Exception {
        // The container adapter starts the domain only at its first deployment, and the application's
        // resources must exist before it deploys: the domain is started as a user does, and Arquillian connects to it.
        // A fresh domain1, so an earlier run's alias, adapter config or pools cannot linger.
        asadmin("delete-domain", "domain1");
        asadmin("create-domain", "--nopassword=true", "--adminport", String.valueOf(ADMIN_PORT),
                "--instanceport", String.valueOf(HTTP_PORT), "domain1");
        asadmin("start-domain", "domain1");
        controller.start(CONTAINER);
        Path work = Files.createDirectories(Path.of(required("pgtier.work")));
        Path aliasPassword = work.resolve("pgtier-db.aliaspassword");
        Files.writeString(aliasPassword, "AS_ADMIN_ALIASPASSWORD=" + PgHarness.PASSWORD + "\n");
        List<String> commands = new ArrayList<>();
        for (String line : Files.readString(Path.of(required("pgtier.postboot")))
                .replace("${ENV\\=PGTIER_PRIMARY_URL}", escape(primaryRoute.jdbcUrl()))
                .replace("${ENV\\=PGTIER_BACKUP_URL}", escape(backup.jdbcUrl()))
                .replace(":failoverUrl=${ENV\\=PGTIER_FAILOVER_URL}", "")
                .replace("${ENV\\=PGTIER_USER}", PgServer.USER)
                .replace("--passwordfile pgtier-db.aliaspassword", "--passwordfile " + aliasPassword)
                .replace("--name pgtier pgtier-rar.rar", "--name pgtier " + deps().resolve("pgtier-rar.rar"))
                // The resilience tests' tuning, as in the Payara tests: a scenario takes seconds.
                .replace("--property poolName=", "--property loginTimeoutSeconds=2:failbackAfterSeconds=3:breakerWaitInOpenStateSeconds=2:poolName=")
                .lines().toList()) {
            if (line.startsWith("deploy --type rar")) {
                commands.add("create-resource-adapter-config --property healthCheckIntervalSeconds=1:probeTimeoutSeconds=1:probeFailuresBeforeDown=2 pgtier");
            }
            if (!line.isBlank() && !line.startsWith("#")) {
                commands.add(line.replace("\\", "\\\\")); // multimode reads a backslash as an escape, as a shell does
            }
        }
        Path file = work.resolve("pgtier.asadmin");
        Files.write(file, commands);
        asadmin("multimode", "--file", file.toString());
        Files.delete(aliasPassword);
        deployer.deploy("war");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<String> status = get(app().resolve("api/status"));
            assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
            assertThat(status.body()).contains("\"pool\":\"pgtier-rw\",\"purpose\":\"READ_WRITE\",\"canServe\":true")
                    .contains("\"pool\":\"pgtier-ro\",\"purpose\":\"READ_ONLY\",\"canServe\":true");
        });
    }

    @Test
    @Order(7)
    @DisplayName("undeploy and stop: no pgtier session is left on any server, and GlassFish's ports are closed")
    void nothingLeftRunning() throws Exception {
        deployer.undeploy("war");
        asadmin("undeploy", "--cascade=true", "pgtier"); // with its pools and resources
        controller.stop(CONTAINER);
        asadmin("stop-domain", "domain1");
        assertNothingLeft(HTTP_PORT, ADMIN_PORT);
    }

    /** asadmin against the running domain; fails with its output when it fails. */
    private static String asadmin(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(required("pgtier.glassfish.home")).resolve("bin/asadmin").toString(),
                "--port", String.valueOf(ADMIN_PORT), "--interactive=false"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("asadmin ended").isTrue();
        assertThat(p.exitValue()).as("asadmin " + String.join(" ", args) + ": " + output).isZero();
        return output;
    }

    /** asadmin property syntax: ':' and '=' inside a value are escaped. */
    private static String escape(String value) {
        return value.replace(":", "\\:").replace("=", "\\=");
    }
}
