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
        endpoints.put(TierId.PRIMARY, check.endpoint("primaryUrl", f.getPrimaryUrl(), true, user, password,
                "primaryMaxConnections", f.getPrimaryMaxConnections()));
        TierEndpoint backup = check.endpoint("backupUrl", f.getBackupUrl(), false,
                orElse(f.getBackupUser(), user), orElse(f.getBackupPassword(), password),
                "backupMaxConnections", f.getBackupMaxConnections());
        if (backup != null) {
            endpoints.put(TierId.BACKUP, backup);
        }
        TierEndpoint failover = check.endpoint("failoverUrl", f.getFailoverUrl(), false,
                orElse(f.getFailoverUser(), user), orElse(f.getFailoverPassword(), password),
                "failoverMaxConnections", f.getFailoverMaxConnections());
        if (failover != null) {
            endpoints.put(TierId.FAILOVER, failover);
        }

        var options = new PgConnector.Options(
                check.range("connectTimeoutSeconds", f.getConnectTimeoutSeconds(), 1, 3600),
                check.range("loginTimeoutSeconds", f.getLoginTimeoutSeconds(), 1, 3600),
                check.range("socketTimeoutSeconds", f.getSocketTimeoutSeconds(), 1, 86_400),
                check.flag("tcpKeepAlive", f.getTcpKeepAlive()),
                "pgtier-" + pool);
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

        boolean flag(String property, Boolean value) throws InvalidPropertyException {
            if (value == null) {
                throw invalid(property, null, "allowed: true or false");
            }
            return value;
        }

        TierEndpoint endpoint(String urlProperty, String url, boolean required, String user, String password,
                String capProperty, Integer cap) throws InvalidPropertyException {
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
            return new TierEndpoint(url.strip(), user, password, max);
        }
    }
}
