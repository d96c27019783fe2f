package io.pgtier.client;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/** JNDI lookups of pgtier's resources that work on every server the application is tested on. */
public final class Resources {

    private Resources() {
    }

    /**
     * {@code name} as the beans' {@code @Resource(lookup = name)} finds it: Payara and GlassFish
     * read it as a global name; WildFly as {@code java:comp/env/name}, which the application's
     * {@code jboss-web.xml} maps to the pool ({@code server-config/wildfly/}).
     */
    public static DataSource lookup(String name) throws NamingException {
        InitialContext context = new InitialContext();
        try {
            return (DataSource) context.lookup(name);
        } catch (NamingException global) {
            if (name.startsWith("java:")) {
                throw global;
            }
            try {
                return (DataSource) context.lookup("java:comp/env/" + name);
            } catch (NamingException local) {
                global.addSuppressed(local);
                throw global;
            }
        } finally {
            context.close();
        }
    }
}
