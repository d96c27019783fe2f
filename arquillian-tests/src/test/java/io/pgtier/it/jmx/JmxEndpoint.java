package io.pgtier.it.jmx;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Test-only, added to the application WAR by OperatorsIT: the pool's MXBean as a JMX client sees
 * it, through the platform MBean server the adapter registered it in inside Payara (Micro's remote
 * JMX connector is off by default; the server and the bean are the same ones it would reach).
 */
@Path("jmx/{pool}")
public class JmxEndpoint {

    @GET
    @Path("tiers")
    public String tiers(@PathParam("pool") String pool) throws Exception {
        return String.join("\n", (String[]) server().getAttribute(name(pool), "Tiers"));
    }

    @POST
    @Path("{operation: drain|prefer|resume}/{tier}")
    public String act(@PathParam("pool") String pool, @PathParam("operation") String operation,
            @PathParam("tier") String tier) throws Exception {
        server().invoke(name(pool), operation, new Object[] {tier}, new String[] {String.class.getName()});
        return String.join("\n", (String[]) server().getAttribute(name(pool), "RecentEvents"));
    }

    private static MBeanServer server() {
        return ManagementFactory.getPlatformMBeanServer();
    }

    private static ObjectName name(String pool) throws Exception {
        return new ObjectName("io.pgtier:type=Pool,name=" + ObjectName.quote(pool));
    }
}
