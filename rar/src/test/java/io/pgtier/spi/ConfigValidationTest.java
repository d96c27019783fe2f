package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import io.pgtier.ra.PgTierResourceAdapter;
import jakarta.resource.spi.InvalidPropertyException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each bad setting fails when the pool is created — when the container associates the factory
 * with the adapter — with its own message naming the property, the value and what is allowed;
 * other pools of the same adapter keep working.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigValidationTest {

    private PgHarness harness;
    private PgServer server;

    @BeforeAll
    void start() {
        harness = PgHarness.create();
        server = harness.startPrimary("config");
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    static java.util.stream.Stream<Arguments> badSettings() {
        return java.util.stream.Stream.of(
                bad("malformed URL", f -> f.setPrimaryUrl("postgres://db1/app"),
                        "invalid primaryUrl = 'postgres://db1/app': not a PostgreSQL JDBC URL"),
                bad("URL without host", f -> f.setBackupUrl("jdbc:postgresql:app"),
                        "invalid backupUrl = 'jdbc:postgresql:app': names no host"),
                bad("port out of range", f -> f.setPrimaryUrl("jdbc:postgresql://127.0.0.1:70000/app"),
                        "invalid primaryUrl = 'jdbc:postgresql://127.0.0.1:70000/app': port 70000 is out of range (1-65535)"),
                bad("port not a number", f -> f.setPrimaryUrl("jdbc:postgresql://127.0.0.1:fivefour/app"),
                        "port 'fivefour' is not a number"),
                bad("missing primary URL", f -> f.setPrimaryUrl(""),
                        "invalid primaryUrl = '': required: a pgjdbc URL"),
                bad("zero size", f -> f.setPrimaryMaxConnections(0),
                        "invalid primaryMaxConnections = 0: allowed: 1 to 10000"),
                bad("negative size", f -> f.setBackupMaxConnections(-3),
                        "invalid backupMaxConnections = -3: allowed: 1 to 10000"),
                bad("negative timeout", f -> f.setSocketTimeoutSeconds(-1),
                        "invalid socketTimeoutSeconds = -1: allowed: 1 to 86400"),
                bad("zero login timeout (would wait forever on a hung server)", f -> f.setLoginTimeoutSeconds(0),
                        "invalid loginTimeoutSeconds = 0: allowed: 1 to 3600"),
                bad("unknown purpose", f -> f.setPurpose("WRITE_MOSTLY"),
                        "invalid purpose = 'WRITE_MOSTLY': allowed: READ_WRITE or READ_ONLY"),
                bad("breaker minimum above its window", f -> {
                    f.setBreakerSlidingWindowSize(5);
                    f.setBreakerMinimumNumberOfCalls(6);
                }, "invalid breakerMinimumNumberOfCalls = 6: allowed: 1 to 5"),
                bad("threshold above 100 %", f -> f.setBreakerFailureRateThreshold(150),
                        "invalid breakerFailureRateThreshold = 150: allowed: 1 to 100"),
                bad("an application name PostgreSQL would cut", f -> f.setApplicationName("x".repeat(64)),
                        "invalid applicationName = '" + "x".repeat(64) + "': allowed: 1 to 63 printable ASCII characters"),
                bad("an application name PostgreSQL would show as question marks", f -> f.setApplicationName("pgtier-zoné"),
                        "invalid applicationName = 'pgtier-zoné': allowed: 1 to 63 printable ASCII characters"),
                bad("negative lifetime", f -> f.setMaxLifetimeSeconds(-1),
                        "invalid maxLifetimeSeconds = -1: allowed: 0 to 604800"),
                bad("unknown TLS mode", f -> f.setSslMode("verify_full"),
                        "invalid sslMode = 'verify_full': allowed: disable, require, verify-ca, verify-full"),
                bad("unknown TLS mode of one tier", f -> f.setBackupSslMode("strict"),
                        "invalid backupSslMode = 'strict': allowed: disable, require, verify-ca, verify-full"),
                bad("verify-full without the CA", f -> f.setSslMode("verify-full"),
                        "invalid sslMode = 'verify-full': with verify-full, sslRootCert must name the CA certificates"),
                bad("a CA file that is not there", f -> f.setSslRootCert("/nonexistent/root.crt"),
                        "invalid sslRootCert = '/nonexistent/root.crt': a file this server can read"),
                bad("a client certificate without its key", f -> f.setSslCert(TLS_FILES.resolve("client.crt").toString()),
                        "invalid sslKey = '': sslCert and sslKey go together"),
                bad("a client key in PEM", f -> {
                    f.setSslCert(TLS_FILES.resolve("client.crt").toString());
                    f.setSslKey(TLS_FILES.resolve("client.key").toString());
                }, "a key in PKCS-8 DER (.pk8) or PKCS-12 (.p12), not PEM"));
    }

    /** A test CA's client certificate and its key in PEM, for the TLS settings above. */
    private static final java.nio.file.Path TLS_FILES = tlsFiles();

    private static java.nio.file.Path tlsFiles() {
        try {
            java.nio.file.Path folder = java.nio.file.Files.createTempDirectory("pgtier-config-tls");
            io.pgtier.harness.TestCa.create(folder, "config").client("client", "app");
            return folder;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Arguments bad(String what, Consumer<PgTierManagedConnectionFactory> change, String expected) {
        return Arguments.of(what, change, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void badSettingFailsAtCreation(String what, Consumer<PgTierManagedConnectionFactory> change, String expected) {
        PgTierManagedConnectionFactory factory = TestPool.factory("bad", "READ_WRITE", server.jdbcUrl(), null, null);
        change.accept(factory);

        InvalidPropertyException error = catchThrowableOfType(InvalidPropertyException.class,
                () -> factory.setResourceAdapter(new PgTierResourceAdapter()));

        assertThat(error).as(what).isNotNull();
        assertThat(error.getMessage()).startsWith("PGT-210 pgtier[bad] ").contains(expected);
    }

    @Test
    @DisplayName("a password written into a URL is never echoed in the error")
    void passwordInUrlHidden() {
        PgTierManagedConnectionFactory factory = TestPool.factory("bad", "READ_WRITE",
                "jdbc:postgresql://127.0.0.1:99999/app?password=s3cret-in-url", null, null);

        InvalidPropertyException error = catchThrowableOfType(InvalidPropertyException.class,
                () -> factory.setResourceAdapter(new PgTierResourceAdapter()));

        assertThat(error.getMessage()).contains("password=***").doesNotContain("s3cret-in-url");
    }

    @Test
    @DisplayName("a wrong password: the error names the tier and SQLSTATE 28P01, never the password; other pools keep working")
    void wrongPassword() throws Exception {
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        PgTierManagedConnectionFactory wrong = TestPool.factory("wrong-pw", "READ_WRITE", server.jdbcUrl(), null, null);
        wrong.setPassword("not-the-password");
        try (TestPool bad = TestPool.start(adapter, wrong);
             TestPool good = TestPool.start(adapter, TestPool.factory("good", "READ_WRITE", server.jdbcUrl(), null, null))) {
            SQLException error = catchThrowableOfType(SQLException.class, bad::connection);

            assertThat(error.getSQLState()).isEqualTo("28P01");
            assertThat(error.getMessage()).contains("pgtier[wrong-pw]", "primary: 28P01")
                    .doesNotContain("not-the-password");

            try (Connection c = good.connection()) {
                assertThat(c.isValid(5)).as("a good pool on the same adapter works").isTrue();
            }
        }
    }

    @Test
    @DisplayName("two pools naming the same tier endpoint share one cap; a different cap for it is refused clearly")
    void sharedCap() throws Exception {
        PgTierResourceAdapter adapter = new PgTierResourceAdapter();
        PgTierManagedConnectionFactory first = TestPool.factory("first", "READ_WRITE", server.jdbcUrl(), null, null);
        first.setPrimaryMaxConnections(3);
        PgTierManagedConnectionFactory second = TestPool.factory("second", "READ_ONLY", server.jdbcUrl(), null, null);
        second.setPrimaryMaxConnections(3);
        try (TestPool a = TestPool.start(adapter, first); TestPool b = TestPool.start(adapter, second);
             Connection a1 = a.connection(); Connection a2 = a.connection(); Connection b1 = b.connection()) {
            SQLException full = catchThrowableOfType(SQLException.class, b::connection);
            assertThat(full.getMessage()).contains("primary: cap 3/3 full");
        }

        PgTierManagedConnectionFactory third = TestPool.factory("third", "READ_WRITE", server.jdbcUrl(), null, null);
        third.setPrimaryMaxConnections(7);
        InvalidPropertyException error = catchThrowableOfType(InvalidPropertyException.class,
                () -> third.setResourceAdapter(adapter));
        assertThat(error.getMessage()).contains("pgtier[third]", "primaryMaxConnections", "shared with another pool");
    }
}
