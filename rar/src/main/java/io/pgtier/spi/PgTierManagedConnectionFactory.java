package io.pgtier.spi;

import io.pgtier.ra.PgTierResourceAdapter;
import io.pgtier.tier.NoTierAvailableException;
import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConfigProperty;
import jakarta.resource.spi.ConnectionDefinition;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.InvalidPropertyException;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterAssociation;
import jakarta.resource.spi.ResourceAllocationException;
import jakarta.resource.spi.ValidatingManagedConnectionFactory;
import java.io.PrintWriter;
import java.sql.Connection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.security.auth.Subject;
import javax.sql.DataSource;

/**
 * One pgtier pool's configuration and the factory of its physical sessions.
 *
 * <p>Its JavaBean properties are the pool's settings (the admin console shows each with its
 * default and description). They are validated when the container associates the factory with
 * the resource adapter — that is, when the pool is created — and a bad value fails there with a
 * {@link InvalidPropertyException} naming the property, the value and what is allowed; other
 * pools are not affected.
 *
 * <p>{@link #matchManagedConnections} returns a connection only when the request's credentials
 * and the connection's tier still fit; a {@code null} makes the pool grow and retires nothing,
 * which is why {@link #getInvalidConnections} and the error event on return do the retiring.
 *
 * <p>Why this class is longer than 400 lines: the forty properties must be declared here. Payara
 * (its {@code ConfigPropertyHandler}) takes a {@code @ConfigProperty} only from a concrete
 * {@code ManagedConnectionFactory} class, so they cannot move to a superclass; everything else the
 * factory does is delegated to {@link Settings} (validation, identity) and {@link PoolRuntime}.
 */
@ConnectionDefinition(
        connectionFactory = DataSource.class,
        connectionFactoryImpl = PgTierDataSource.class,
        connection = Connection.class,
        connectionImpl = ConnectionHandle.class)
public class PgTierManagedConnectionFactory
        implements ManagedConnectionFactory, ValidatingManagedConnectionFactory, ResourceAdapterAssociation {

    private static final long serialVersionUID = 1L;

    @ConfigProperty(type = String.class, defaultValue = "pgtier",
            description = "Name of this pool in messages, logs, health data and metric tags.")
    private String poolName = "pgtier";

    @ConfigProperty(type = String.class, defaultValue = "READ_WRITE",
            description = "READ_WRITE: only a writable server serves it. READ_ONLY: prefers standbys, spreads across them, may use the primary.")
    private String purpose = "READ_WRITE";

    @ConfigProperty(type = String.class, defaultValue = "jdbc:postgresql://localhost:5432/postgres",
            description = "pgjdbc URL of the primary tier, e.g. jdbc:postgresql://db1:5432/app (may name several hosts). Required.")
    private String primaryUrl = "jdbc:postgresql://localhost:5432/postgres";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "pgjdbc URL of the backup tier (another route to the same server, or a standby). Empty: no backup tier.")
    private String backupUrl = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "pgjdbc URL of the failover tier. Empty: no failover tier.")
    private String failoverUrl = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "Database user for every tier (unless a tier sets its own). Empty: from the URL or container sign-on.")
    private String user = "";

    @ConfigProperty(type = String.class, defaultValue = "", confidential = true,
            description = "Password for user. Use a password alias: ${ALIAS=name}. Never logged.")
    private String password = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "User for the backup tier where it differs. Empty: user.")
    private String backupUser = "";

    @ConfigProperty(type = String.class, defaultValue = "", confidential = true,
            description = "Password for backupUser. Empty: password.")
    private String backupPassword = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "User for the failover tier where it differs. Empty: user.")
    private String failoverUser = "";

    @ConfigProperty(type = String.class, defaultValue = "", confidential = true,
            description = "Password for failoverUser. Empty: password.")
    private String failoverPassword = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "TLS for every tier: disable, require, verify-ca or verify-full (certificate and host name checked). Empty: as each URL says (pgjdbc's default, prefer).")
    private String sslMode = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "TLS mode of the primary tier where it differs from sslMode. Empty: sslMode.")
    private String primarySslMode = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "TLS mode of the backup tier where it differs from sslMode. Empty: sslMode.")
    private String backupSslMode = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "TLS mode of the failover tier where it differs from sslMode. Empty: sslMode.")
    private String failoverSslMode = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "File of the CA certificates (PEM) that sign the servers' certificates, for verify-ca and verify-full. Required with them.")
    private String sslRootCert = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "File of a client certificate (PEM) for servers that authenticate by certificate. Empty: none. Needs sslKey.")
    private String sslCert = "";

    @ConfigProperty(type = String.class, defaultValue = "",
            description = "File of the client certificate's key, unencrypted PKCS-8 DER (.pk8) or PKCS-12 (.p12). Needs sslCert.")
    private String sslKey = "";

    @ConfigProperty(type = Integer.class, defaultValue = "10",
            description = "Cap on physical connections to the primary tier, shared by every pool of this adapter (1-10000).")
    private Integer primaryMaxConnections = 10;

    @ConfigProperty(type = Integer.class, defaultValue = "5",
            description = "Cap on physical connections to the backup tier (1-10000).")
    private Integer backupMaxConnections = 5;

    @ConfigProperty(type = Integer.class, defaultValue = "5",
            description = "Cap on physical connections to the failover tier (1-10000).")
    private Integer failoverMaxConnections = 5;

    @ConfigProperty(type = Integer.class, defaultValue = "5",
            description = "TCP and TLS connect timeout per attempt, in seconds (1-3600).")
    private Integer connectTimeoutSeconds = 5;

    @ConfigProperty(type = Integer.class, defaultValue = "10",
            description = "Timeout for opening a session, including authentication, in seconds (1-3600). Bounds a connect to a hung server.")
    private Integer loginTimeoutSeconds = 10;

    @ConfigProperty(type = Integer.class, defaultValue = "30",
            description = "Longest wait for the server's answer on an open session, in seconds (1-86400). Bounds a query on a hung server.")
    private Integer socketTimeoutSeconds = 30;

    @ConfigProperty(type = Integer.class, defaultValue = "5",
            description = "Timeout of a connection validity check, in seconds (1-3600).")
    private Integer validationTimeoutSeconds = 5;

    @ConfigProperty(type = Boolean.class, defaultValue = "true",
            description = "TCP keepalive on every session, so dead peers are noticed by idle connections.")
    private Boolean tcpKeepAlive = true;

    @ConfigProperty(type = Integer.class, defaultValue = "30",
            description = "Seconds a higher tier must pass health checks before new connections go back to it (0-86400).")
    private Integer failbackAfterSeconds = 30;

    @ConfigProperty(type = Integer.class, defaultValue = "1800",
            description = "A connection older than this is retired when it is returned (0 = never, up to 604800).")
    private Integer maxLifetimeSeconds = 1800;

    @ConfigProperty(type = Integer.class, defaultValue = "50",
            description = "Percent of failed connection attempts in the window that opens a tier's breaker (1-100).")
    private Integer breakerFailureRateThreshold = 50;

    @ConfigProperty(type = Integer.class, defaultValue = "10",
            description = "Connection attempts the breaker judges a tier on (1-1000).")
    private Integer breakerSlidingWindowSize = 10;

    @ConfigProperty(type = Integer.class, defaultValue = "4",
            description = "Attempts recorded before the breaker may open (1 to breakerSlidingWindowSize).")
    private Integer breakerMinimumNumberOfCalls = 4;

    @ConfigProperty(type = Integer.class, defaultValue = "10",
            description = "Seconds an open breaker refuses a tier before letting trial attempts through (1-3600).")
    private Integer breakerWaitInOpenStateSeconds = 10;

    @ConfigProperty(type = Integer.class, defaultValue = "2",
            description = "Trial attempts a half-open breaker lets through; all must succeed to close it (1-100).")
    private Integer breakerPermittedCallsInHalfOpenState = 2;

    @ConfigProperty(type = Integer.class, defaultValue = "1000",
            description = "When no tier could give a connection but some failed at the server, try again with"
                    + " exponential backoff for up to this many milliseconds (0-60000; 0: no retry)."
                    + " No retry when every tier is down or its breaker open.")
    private Integer connectRetryBudgetMillis = 1000;

    @ConfigProperty(type = String.class,
            description = "The application_name of the pool's sessions in pg_stat_activity (1-63 printable ASCII characters;"
                    + " default pgtier-<poolName>): with many instances, give each its own, such as pgtier-rw@instance-1.")
    private String applicationName;

    @ConfigProperty(type = Integer.class, defaultValue = "5000",
            description = "While no tier can serve, getConnection waits up to this many milliseconds for one to return"
                    + " (0-600000). Once the outage is older, callers fail within 50 ms (500 ms while another caller"
                    + " tries a tier) until a tier returns."
                    + " 0: no wait (connectRetryBudgetMillis applies).")
    private Integer rideThroughMillis = 5000;

    @ConfigProperty(type = Boolean.class, defaultValue = "true",
            description = "Close, at the end of a container transaction, the connections a bean got inside it and forgot"
                    + " to close; each is counted and logged. false: leave them to the pool's leak timeout.")
    private Boolean closeLeakedConnections = true;

    @ConfigProperty(type = Boolean.class, defaultValue = "false",
            description = "Record where each connection taken inside a container transaction was acquired, so a leak report"
                    + " names the bean's method and line. Costs a few microseconds per acquisition; for finding leaks.")
    private Boolean recordAcquisitionSite = false;

    private transient PgTierResourceAdapter adapter;
    private transient volatile PoolRuntime runtime;
    private transient PrintWriter logWriter;

    // ---- lifecycle

    /** Called by the container when the pool is created: validates the settings now. */
    @Override
    public void setResourceAdapter(ResourceAdapter resourceAdapter) throws ResourceException {
        if (!(resourceAdapter instanceof PgTierResourceAdapter pgtier)) {
            throw new ResourceException(Messages.notAdapterOf(resourceAdapter));
        }
        this.adapter = pgtier;
        this.runtime = null;
        runtime();
    }

    @Override
    public ResourceAdapter getResourceAdapter() {
        return adapter;
    }

    /** This factory's pool, or the one Payara re-created in its place with changed settings ({@link PoolRuntime#newest()}). */
    PoolRuntime runtime() throws ResourceException {
        PoolRuntime current = runtime;
        if (current != null) {
            return current.newest();
        }
        synchronized (this) {
            if (runtime == null) {
                if (adapter == null) {
                    throw new ResourceException(Messages.notAdapterOf(null));
                }
                Settings settings = Settings.of(this);
                try {
                    runtime = new PoolRuntime(settings, adapter);
                } catch (IllegalArgumentException e) {
                    throw new InvalidPropertyException(Messages.invalidProperty(settings.poolName(), "primaryMaxConnections",
                            getPrimaryMaxConnections(), e.getMessage()));
                }
            }
            return runtime.newest();
        }
    }

    @Override
    public Object createConnectionFactory(ConnectionManager manager) throws ResourceException {
        runtime().exposeOnce();
        return new PgTierDataSource(this, manager);
    }

    @Override
    public Object createConnectionFactory() throws ResourceException {
        throw new NotSupportedException(Messages.notManaged());
    }

    /** Runs on the bean's thread (Payara): walks the tiers and opens a session on the first that serves. */
    @Override
    public ManagedConnection createManagedConnection(Subject subject, ConnectionRequestInfo info) throws ResourceException {
        PoolRuntime pool = runtime();
        Credentials credentials = Credentials.resolve(subject, info, this);
        try {
            PgTierManagedConnection connection = pool.track(new PgTierManagedConnection(pool, pool.acquire(credentials), credentials));
            if (!connection.isUsable()) {
                // Its tier was declared down while the session was being opened, after the monitor had
                // aborted the tier's other sessions: this one is suspect too. Open another.
                connection.destroy();
                connection = pool.track(new PgTierManagedConnection(pool, pool.acquire(credentials), credentials));
            }
            return connection;
        } catch (NoTierAvailableException e) {
            ResourceAllocationException failure = new ResourceAllocationException(e.getMessage(), e.getSQLState());
            failure.initCause(e);
            throw failure;
        }
    }

    @Override
    public ManagedConnection matchManagedConnections(Set connections, Subject subject, ConnectionRequestInfo info)
            throws ResourceException {
        PoolRuntime pool = runtime();
        Credentials wanted = Credentials.resolve(subject, info, this);
        for (Object candidate : connections) {
            if (candidate instanceof PgTierManagedConnection mc && mc.pool() == pool
                    && Credentials.same(mc.credentials(), wanted) && mc.isUsable() && mc.validIfSuspect()
                    && mc.takenFromPool()) {
                return mc;
            }
        }
        return null;
    }

    /**
     * Connections on a tier that is drained or retired, or down while another tier can serve; on a
     * demoted server, broken or too old; or, after a fault on their tier, that fail a bounded
     * validation round trip.
     */
    @Override
    public Set getInvalidConnections(Set connections) throws ResourceException {
        Set<Object> invalid = new HashSet<>();
        for (Object candidate : connections) {
            if (candidate instanceof PgTierManagedConnection mc && !(mc.isUsable() && mc.validIfSuspect())) {
                invalid.add(mc);
            }
        }
        return invalid;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    // ---- JavaBean identity: JCA requires equals/hashCode over the configuration

    /**
     * The configuration, validated: two factories are equal when their {@link Settings} are, so
     * no hand-kept list of the properties can miss one. Payara compares factories on every
     * allocation (and again for container sign-on): once the pool runs, its settings are the ones
     * in use (a later setter cannot change them) and are not built again. A configuration that
     * does not validate equals only itself. A factory whose pool Payara re-created takes its
     * successor's identity ({@link PoolRuntime#newest()}), so its hash code changes then: no
     * container keys a map by factories (Payara and IronJacamar key pools by name).
     */
    private Settings identity() {
        PoolRuntime current = runtime;
        if (current != null) {
            return current.newest().settings();
        }
        try {
            return Settings.of(this);
        } catch (InvalidPropertyException e) {
            return null;
        }
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof PgTierManagedConnectionFactory that)) {
            return false;
        }
        Settings mine = identity();
        return mine != null && mine.equals(that.identity());
    }

    @Override
    public int hashCode() {
        Settings mine = identity();
        return mine == null ? System.identityHashCode(this) : mine.hashCode();
    }

    @Override
    public String toString() {
        return "PgTierManagedConnectionFactory[pool=" + poolName + ", purpose=" + purpose + "]";
    }

    // ---- configuration properties

    public String getApplicationName() {
        return applicationName;
    }

    public void setApplicationName(String applicationName) {
        this.applicationName = applicationName;
    }

    public String getPoolName() {
        return poolName;
    }

    public void setPoolName(String poolName) {
        this.poolName = poolName;
    }

    public String getPurpose() {
        return purpose;
    }

    public void setPurpose(String purpose) {
        this.purpose = purpose;
    }

    public String getPrimaryUrl() {
        return primaryUrl;
    }

    public void setPrimaryUrl(String primaryUrl) {
        this.primaryUrl = primaryUrl;
    }

    public String getBackupUrl() {
        return backupUrl;
    }

    public void setBackupUrl(String backupUrl) {
        this.backupUrl = backupUrl;
    }

    public String getFailoverUrl() {
        return failoverUrl;
    }

    public void setFailoverUrl(String failoverUrl) {
        this.failoverUrl = failoverUrl;
    }

    public String getUser() {
        return user;
    }

    public void setUser(String user) {
        this.user = user;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getBackupUser() {
        return backupUser;
    }

    public void setBackupUser(String backupUser) {
        this.backupUser = backupUser;
    }

    public String getBackupPassword() {
        return backupPassword;
    }

    public void setBackupPassword(String backupPassword) {
        this.backupPassword = backupPassword;
    }

    public String getFailoverUser() {
        return failoverUser;
    }

    public void setFailoverUser(String failoverUser) {
        this.failoverUser = failoverUser;
    }

    public String getFailoverPassword() {
        return failoverPassword;
    }

    public void setFailoverPassword(String failoverPassword) {
        this.failoverPassword = failoverPassword;
    }

    public String getSslMode() {
        return sslMode;
    }

    public void setSslMode(String sslMode) {
        this.sslMode = sslMode;
    }

    public String getPrimarySslMode() {
        return primarySslMode;
    }

    public void setPrimarySslMode(String primarySslMode) {
        this.primarySslMode = primarySslMode;
    }

    public String getBackupSslMode() {
        return backupSslMode;
    }

    public void setBackupSslMode(String backupSslMode) {
        this.backupSslMode = backupSslMode;
    }

    public String getFailoverSslMode() {
        return failoverSslMode;
    }

    public void setFailoverSslMode(String failoverSslMode) {
        this.failoverSslMode = failoverSslMode;
    }

    public String getSslRootCert() {
        return sslRootCert;
    }

    public void setSslRootCert(String sslRootCert) {
        this.sslRootCert = sslRootCert;
    }

    public String getSslCert() {
        return sslCert;
    }

    public void setSslCert(String sslCert) {
        this.sslCert = sslCert;
    }

    public String getSslKey() {
        return sslKey;
    }

    public void setSslKey(String sslKey) {
        this.sslKey = sslKey;
    }

    public Integer getPrimaryMaxConnections() {
        return primaryMaxConnections;
    }

    public void setPrimaryMaxConnections(Integer primaryMaxConnections) {
        this.primaryMaxConnections = primaryMaxConnections;
    }

    public Integer getBackupMaxConnections() {
        return backupMaxConnections;
    }

    public void setBackupMaxConnections(Integer backupMaxConnections) {
        this.backupMaxConnections = backupMaxConnections;
    }

    public Integer getFailoverMaxConnections() {
        return failoverMaxConnections;
    }

    public void setFailoverMaxConnections(Integer failoverMaxConnections) {
        this.failoverMaxConnections = failoverMaxConnections;
    }

    public Integer getConnectTimeoutSeconds() {
        return connectTimeoutSeconds;
    }

    public void setConnectTimeoutSeconds(Integer connectTimeoutSeconds) {
        this.connectTimeoutSeconds = connectTimeoutSeconds;
    }

    public Integer getLoginTimeoutSeconds() {
        return loginTimeoutSeconds;
    }

    public void setLoginTimeoutSeconds(Integer loginTimeoutSeconds) {
        this.loginTimeoutSeconds = loginTimeoutSeconds;
    }

    public Integer getSocketTimeoutSeconds() {
        return socketTimeoutSeconds;
    }

    public void setSocketTimeoutSeconds(Integer socketTimeoutSeconds) {
        this.socketTimeoutSeconds = socketTimeoutSeconds;
    }

    public Integer getValidationTimeoutSeconds() {
        return validationTimeoutSeconds;
    }

    public void setValidationTimeoutSeconds(Integer validationTimeoutSeconds) {
        this.validationTimeoutSeconds = validationTimeoutSeconds;
    }

    public Boolean getTcpKeepAlive() {
        return tcpKeepAlive;
    }

    public void setTcpKeepAlive(Boolean tcpKeepAlive) {
        this.tcpKeepAlive = tcpKeepAlive;
    }

    public Integer getFailbackAfterSeconds() {
        return failbackAfterSeconds;
    }

    public void setFailbackAfterSeconds(Integer failbackAfterSeconds) {
        this.failbackAfterSeconds = failbackAfterSeconds;
    }

    public Integer getMaxLifetimeSeconds() {
        return maxLifetimeSeconds;
    }

    public void setMaxLifetimeSeconds(Integer maxLifetimeSeconds) {
        this.maxLifetimeSeconds = maxLifetimeSeconds;
    }

    public Integer getBreakerFailureRateThreshold() {
        return breakerFailureRateThreshold;
    }

    public void setBreakerFailureRateThreshold(Integer breakerFailureRateThreshold) {
        this.breakerFailureRateThreshold = breakerFailureRateThreshold;
    }

    public Integer getBreakerSlidingWindowSize() {
        return breakerSlidingWindowSize;
    }

    public void setBreakerSlidingWindowSize(Integer breakerSlidingWindowSize) {
        this.breakerSlidingWindowSize = breakerSlidingWindowSize;
    }

    public Integer getBreakerMinimumNumberOfCalls() {
        return breakerMinimumNumberOfCalls;
    }

    public void setBreakerMinimumNumberOfCalls(Integer breakerMinimumNumberOfCalls) {
        this.breakerMinimumNumberOfCalls = breakerMinimumNumberOfCalls;
    }

    public Integer getBreakerWaitInOpenStateSeconds() {
        return breakerWaitInOpenStateSeconds;
    }

    public void setBreakerWaitInOpenStateSeconds(Integer breakerWaitInOpenStateSeconds) {
        this.breakerWaitInOpenStateSeconds = breakerWaitInOpenStateSeconds;
    }

    public Integer getBreakerPermittedCallsInHalfOpenState() {
        return breakerPermittedCallsInHalfOpenState;
    }

    public void setBreakerPermittedCallsInHalfOpenState(Integer breakerPermittedCallsInHalfOpenState) {
        this.breakerPermittedCallsInHalfOpenState = breakerPermittedCallsInHalfOpenState;
    }

    public Boolean getCloseLeakedConnections() {
        return closeLeakedConnections;
    }

    public void setCloseLeakedConnections(Boolean closeLeakedConnections) {
        this.closeLeakedConnections = closeLeakedConnections;
    }

    public Boolean getRecordAcquisitionSite() {
        return recordAcquisitionSite;
    }

    public void setRecordAcquisitionSite(Boolean recordAcquisitionSite) {
        this.recordAcquisitionSite = recordAcquisitionSite;
    }

    public Integer getRideThroughMillis() {
        return rideThroughMillis;
    }

    public void setRideThroughMillis(Integer rideThroughMillis) {
        this.rideThroughMillis = rideThroughMillis;
    }

    public Integer getConnectRetryBudgetMillis() {
        return connectRetryBudgetMillis;
    }

    public void setConnectRetryBudgetMillis(Integer connectRetryBudgetMillis) {
        this.connectRetryBudgetMillis = connectRetryBudgetMillis;
    }
}
