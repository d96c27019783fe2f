package io.pgtier.spi;

import io.pgtier.api.PoolStatus;
import io.pgtier.api.TierStatus;
import io.pgtier.observe.EventLog;
import io.pgtier.observe.PoolControlMXBean;
import java.lang.management.ManagementFactory;
import java.security.AccessController;
import java.security.Principal;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.security.auth.Subject;

/**
 * A pool's MXBean in the platform MBean server, which is the one Payara's JMX connector serves.
 * One per pool; see {@link #register} for names.
 */
final class PoolJmx implements PoolControlMXBean {

    private static final Logger LOG = Logger.getLogger(PoolJmx.class.getName());

    private final PoolRuntime pool;

    private PoolJmx(PoolRuntime pool) {
        this.pool = pool;
    }

    /** Which bean holds each name now: a bean's removal must not remove its successor's. */
    private static final java.util.Map<ObjectName, PoolJmx> OWNERS = new java.util.HashMap<>();

    /**
     * Registers {@code pool}'s bean; what removes it again, or {@code null} when JMX refused
     * (logged). A pool re-created by the same adapter (Payara does this when a property changes)
     * takes over its name; a pool of the same name in another adapter (a second RAR deployment)
     * gets a name of its own, {@code io.pgtier:type=Pool,name="<pool>",adapter=<n>}, logged.
     */
    static AutoCloseable register(PoolRuntime pool) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        PoolJmx bean = new PoolJmx(pool);
        try {
            ObjectName name = new ObjectName("io.pgtier:type=Pool,name=" + ObjectName.quote(pool.name()));
            synchronized (OWNERS) {
                PoolJmx holder = OWNERS.get(name);
                if (holder != null && holder.pool.adapter() != pool.adapter()) {
                    name = new ObjectName(name + ",adapter=" + Integer.toHexString(System.identityHashCode(pool.adapter())));
                    LOG.info("pgtier[" + pool.name() + "] another resource adapter has a pool of this name: its JMX bean is " + name);
                }
                if (server.isRegistered(name)) {
                    server.unregisterMBean(name);
                }
                server.registerMBean(bean, name);
                OWNERS.put(name, bean);
            }
            ObjectName registered = name;
            return () -> {
                synchronized (OWNERS) {
                    if (OWNERS.remove(registered, bean) && server.isRegistered(registered)) {
                        server.unregisterMBean(registered);
                    }
                }
            };
        } catch (JMException | RuntimeException e) {
            LOG.log(Level.WARNING, "pgtier[" + pool.name() + "] no JMX bean: " + e, e);
            return null;
        }
    }

    @Override
    public String getPool() {
        return pool.name();
    }

    @Override
    public String getPurpose() {
        return pool.purpose().name();
    }

    @Override
    public String getPreferred() {
        var preferred = pool.operations().preferredId();
        return preferred == null ? "" : preferred.label();
    }

    @Override
    public String[] getTiers() {
        PoolStatus status = pool.status();
        return status.tiers().stream().map(t -> line(t, status)).toArray(String[]::new);
    }

    private static String line(TierStatus t, PoolStatus status) {
        return t.id().label() + " " + t.state() + " " + t.role() + " breaker=" + t.breaker()
                + (t.probationEndsAt() == null ? "" : " probationEndsAt=" + t.probationEndsAt())
                + (t.lagBytes() > 0 ? " lag=" + t.lagBytes() + "B" : "")
                + " sessions=" + status.sessions().getOrDefault(t.id(), 0)
                + " open=" + t.openConnections() + "/" + t.maxConnections()
                + (t.inDoubt() > 0 ? " inDoubt=" + t.inDoubt() : "")
                + " endpoint=" + t.endpoint();
    }

    @Override
    public String[] getRecentEvents() {
        return pool.operations().recent().stream().map(e -> e.at() + " " + EventLog.format(e)).toArray(String[]::new);
    }

    @Override
    public void drain(String tier) {
        pool.operations().drain(tier, actor());
    }

    @Override
    public void prefer(String tier) {
        pool.operations().prefer(tier, actor());
    }

    @Override
    public void resume(String tier) {
        pool.operations().resume(tier, actor());
    }

    /** The JMX user, as the connector authenticated them; "jmx" for a local, unauthenticated call. */
    @SuppressWarnings("removal") // Subject.getSubject: the JMX connector's way to say who calls, in Java 17
    private static String actor() {
        Subject subject;
        try {
            subject = Subject.getSubject(AccessController.getContext());
        } catch (UnsupportedOperationException newerJdk) {
            return "jmx"; // JDK 23+ without a security manager; Subject.current() is the successor
        }
        if (subject != null) {
            for (Principal principal : subject.getPrincipals()) {
                return "jmx:" + principal.getName();
            }
        }
        return "jmx";
    }
}
