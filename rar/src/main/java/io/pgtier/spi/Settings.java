package io.pgtier.spi;

import io.pgtier.api.Purpose;
import io.pgtier.api.TierId;
import io.pgtier.pg.JdbcUrls;
import io.pgtier.pg.PgConnector;
import io.pgtier.tier.BreakerConfig;
import io.pgtier.tier.TierEndpoint;
import jakarta.resource.spi.InvalidPropertyException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A pool's configuration, validated: built from the factory's JavaBean properties when the pool
 * is created, so a bad value fails there — naming the property, the value given and what is
 * allowed (HikariCP's {@code HikariConfig.validate}) — and never on first use. Immutable.
 */
record Settings(String poolName, Purpose purpose, Map<TierId, TierEndpoint> endpoints, PgConnector.Options options,
                int validationTimeoutSeconds, int failbackAfterSeconds, int maxLifetimeSeconds, BreakerConfig breaker,
                boolean closeLeakedConnections, boolean recordAcquisitionSite, int connectRetryBudgetMillis,
                int rideThroughMillis) {

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)((?:ssl)?password=)[^&]*");

    static Settings of(PgTierManagedConnectionFactory f) throws InvalidPropertyException {
        String pool = f.getPoolName() == null || f.getPoolName().isBlank() ? null : f.getPoolName().strip();
        Check check = new Check(pool == null ? "pgtier" : pool);
        if (pool == null) {
            throw check.invalid("poolName", f.getPoolName(), "must name the pool (letters, digits, - and _)");
        }
        Purpose purpose = check.purpose(f.getPurpose());

        Map<TierId, TierEndpoint> endpoints = new EnumMap<>(TierId.class);
        String user = blankToNull(f.getUser());
        String password = blankToNull(f.getPassword());
        TlsFiles files = check.tlsFiles(f.getSslRootCert(), f.getSslCert(), f.getSslKey());
        String poolMode = check.sslMode("sslMode", f.getSslMode());
        endpoints.put(TierId.PRIMARY, check.endpoint("primaryUrl", f.getPrimaryUrl(), true, user, password,
                "primaryMaxConnections", f.getPrimaryMaxConnections(),
                check.tls("primarySslMode", f.getPrimarySslMode(), poolMode, files, f.getPrimaryUrl())));
        TierEndpoint backup = check.endpoint("backupUrl", f.getBackupUrl(), false,
                orElse(f.getBackupUser(), user), orElse(f.getBackupPassword(), password),
                "backupMaxConnections", f.getBackupMaxConnections(),
                check.tls("backupSslMode", f.getBackupSslMode(), poolMode, files, f.getBackupUrl()));
        if (backup != null) {
            endpoints.put(TierId.BACKUP, backup);
        }
        TierEndpoint failover = check.endpoint("failoverUrl", f.getFailoverUrl(), false,
                orElse(f.getFailoverUser(), user), orElse(f.getFailoverPassword(), password),
                "failoverMaxConnections", f.getFailoverMaxConnections(),
                check.tls("failoverSslMode", f.getFailoverSslMode(), poolMode, files, f.getFailoverUrl()));
        if (failover != null) {
            endpoints.put(TierId.FAILOVER, failover);
        }

        var options = new PgConnector.Options(
                check.range("connectTimeoutSeconds", f.getConnectTimeoutSeconds(), 1, 3600),
                check.range("loginTimeoutSeconds", f.getLoginTimeoutSeconds(), 1, 3600),
                check.range("socketTimeoutSeconds", f.getSocketTimeoutSeconds(), 1, 86_400),
                check.flag("tcpKeepAlive", f.getTcpKeepAlive()),
                check.applicationName("applicationName", f.getApplicationName(), "pgtier-" + pool));
        int window = check.range("breakerSlidingWindowSize", f.getBreakerSlidingWindowSize(), 1, 1000);
        var breaker = new BreakerConfig(
                check.range("breakerFailureRateThreshold", f.getBreakerFailureRateThreshold(), 1, 100),
                window,
                check.range("breakerMinimumNumberOfCalls", f.getBreakerMinimumNumberOfCalls(), 1, window),
                Duration.ofSeconds(check.range("breakerWaitInOpenStateSeconds", f.getBreakerWaitInOpenStateSeconds(), 1, 3600)),
                check.range("breakerPermittedCallsInHalfOpenState", f.getBreakerPermittedCallsInHalfOpenState(), 1, 100));
        return new Settings(pool, purpose, endpoints, options,
                check.range("validationTimeoutSeconds", f.getValidationTimeoutSeconds(), 1, 3600),
                check.range("failbackAfterSeconds", f.getFailbackAfterSeconds(), 0, 86_400),
                check.range("maxLifetimeSeconds", f.getMaxLifetimeSeconds(), 0, 604_800),
                breaker,
                check.flag("closeLeakedConnections", f.getCloseLeakedConnections()),
                check.flag("recordAcquisitionSite", f.getRecordAcquisitionSite()),
                check.range("connectRetryBudgetMillis", f.getConnectRetryBudgetMillis(), 0, 60_000),
                check.range("rideThroughMillis", f.getRideThroughMillis(), 0, 600_000));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String orElse(String tierValue, String poolValue) {
        String own = blankToNull(tierValue);
        return own != null ? own : poolValue;
    }

    /** The pool's TLS files, checked once: each {@code null} when not given. */
    private record TlsFiles(String rootCert, String cert, String key) {
    }

    private static final java.util.List<String> SSL_MODES = java.util.List.of("disable", "require", "verify-ca", "verify-full");

    /** Raises the errors; never echoes a password, even one written into a URL. */
    private record Check(String pool) {

        InvalidPropertyException invalid(String property, Object value, String allowed) {
            Object shown = value;
            if (property.toLowerCase(Locale.ROOT).contains("password")) {
                shown = "(hidden)";
            } else if (value instanceof String s) {
                shown = URL_PASSWORD.matcher(s).replaceAll("$1***");
            }
            return new InvalidPropertyException(Messages.invalidProperty(pool, property, shown, allowed));
        }

        Purpose purpose(String value) throws InvalidPropertyException {
            try {
                return Purpose.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw invalid("purpose", value, "allowed: READ_WRITE or READ_ONLY");
            }
        }

        int range(String property, Integer value, int min, int max) throws InvalidPropertyException {
            if (value == null || value < min || value > max) {
                throw invalid(property, value, "allowed: " + min + " to " + max);
            }
            return value;
        }

        /** PostgreSQL keeps 63 bytes of application_name and shows printable ASCII only: checked here, not truncated there. */
        String applicationName(String property, String value, String otherwise) throws InvalidPropertyException {
            String name = blankToNull(value);
            if (name == null) {
                return otherwise;
            }
            if (name.length() > 63 || !name.chars().allMatch(c -> c >= 32 && c < 127)) {
                throw invalid(property, value, "allowed: 1 to 63 printable ASCII characters");
            }
            return name;
        }

        boolean flag(String property, Boolean value) throws InvalidPropertyException {
            if (value == null) {
                throw invalid(property, null, "allowed: true or false");
            }
            return value;
        }

        String sslMode(String property, String value) throws InvalidPropertyException {
            String mode = blankToNull(value);
            if (mode == null) {
                return null;
            }
            mode = mode.strip().toLowerCase(Locale.ROOT);
            if (!SSL_MODES.contains(mode)) {
                throw invalid(property, value, "allowed: " + String.join(", ", SSL_MODES) + ", or empty for what the URL says");
            }
            return mode;
        }

        TlsFiles tlsFiles(String rootCert, String cert, String key) throws InvalidPropertyException {
            String root = readable("sslRootCert", rootCert);
            String certFile = readable("sslCert", cert);
            String keyFile = readable("sslKey", key);
            if ((certFile == null) != (keyFile == null)) {
                throw invalid(certFile == null ? "sslCert" : "sslKey", certFile == null ? cert : key,
                        "sslCert and sslKey go together: give both, or neither");
            }
            if (keyFile != null) {
                try {
                    byte[] head = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(keyFile));
                    if (new String(head, 0, Math.min(head.length, 11), java.nio.charset.StandardCharsets.US_ASCII).equals("-----BEGIN ")) {
                        throw invalid("sslKey", key, "a key in PKCS-8 DER (.pk8) or PKCS-12 (.p12), not PEM: convert it with"
                                + " openssl pkcs8 -topk8 -outform DER -nocrypt -in key.pem -out key.pk8");
                    }
                } catch (java.io.IOException e) {
                    throw invalid("sslKey", key, "a readable file (" + e.getMessage() + ")");
                }
            }
            return new TlsFiles(root, certFile, keyFile);
        }

        private String readable(String property, String file) throws InvalidPropertyException {
            String path = blankToNull(file);
            if (path != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(path.strip()))) {
                throw invalid(property, file, "a file this server can read");
            }
            return path == null ? null : path.strip();
        }

        /** A tier's TLS: its own mode or the pool's, and the pool's files. */
        TierEndpoint.Tls tls(String modeProperty, String tierMode, String poolMode, TlsFiles files, String url)
                throws InvalidPropertyException {
            String own = sslMode(modeProperty, tierMode);
            if (url == null || url.isBlank()) {
                return TierEndpoint.Tls.AS_URL; // no such tier
            }
            String mode = own != null ? own : poolMode;
            if (mode != null && mode.startsWith("verify") && files.rootCert() == null
                    && !url.toLowerCase(Locale.ROOT).contains("sslrootcert=")) {
                throw invalid(own != null ? modeProperty : "sslMode", mode, "with " + mode + ", sslRootCert must name the CA"
                        + " certificates (PEM) the server's certificate is checked against");
            }
            if (mode == null && files.rootCert() == null && files.cert() == null) {
                return TierEndpoint.Tls.AS_URL;
            }
            return new TierEndpoint.Tls(mode, files.rootCert(), files.cert(), files.key());
        }

        TierEndpoint endpoint(String urlProperty, String url, boolean required, String user, String password,
                String capProperty, Integer cap, TierEndpoint.Tls tls) throws InvalidPropertyException {
            int max = range(capProperty, cap, 1, 10_000);
            if (url == null || url.isBlank()) {
                if (required) {
                    throw invalid(urlProperty, url, "required: a pgjdbc URL such as jdbc:postgresql://db1:5432/app");
                }
                return null;
            }
            String problem = JdbcUrls.problem(url.strip());
            if (problem != null) {
                throw invalid(urlProperty, url, problem);
            }
            return new TierEndpoint(url.strip(), user, password, max, tls);
        }
    }
}
