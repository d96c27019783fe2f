package io.pgtier.it.xa;

import jakarta.ejb.EJB;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

/** What XaIT calls: the XA bean, the pause between prepare and commit, and Payara's transaction recovery. */
@Path("xa")
public class XaEndpoint {

    @EJB
    XaNotesBean bean;

    @POST
    @Path("write")
    public Response write(@QueryParam("text") String text, @QueryParam("fail") boolean fail) throws Exception {
        bean.write(text, fail);
        return Response.ok("written").build();
    }

    @POST
    @Path("write-paused")
    public Response writePaused(@QueryParam("text") String text) throws Exception {
        bean.writeThenPauseBeforeCommit(text);
        return Response.ok("written").build();
    }

    @GET
    @Path("paused")
    public String paused() {
        return String.valueOf(PauseBeforeCommit.waiting());
    }

    /** XA branches in doubt on the billing pool's tiers, as the adapter's monitor last saw them. */
    @GET
    @Path("in-doubt")
    public String inDoubt() throws Exception {
        javax.sql.DataSource ds = (javax.sql.DataSource) new javax.naming.InitialContext().lookup(XaNotesBean.BILLING);
        return String.valueOf(ds.unwrap(io.pgtier.api.TieredDataSource.class).status().tiers().stream()
                .mapToInt(io.pgtier.api.TierStatus::inDoubt).sum());
    }

    @POST
    @Path("release")
    public String release() {
        PauseBeforeCommit.release();
        return "released";
    }

    /**
     * What {@code asadmin recover-transactions server} does inside the server: Payara's
     * {@code ResourceRecoveryManager.recoverIncompleteTx(false, null)}, which asks every XA pool's
     * resource for its prepared branches and finishes those of this server's incomplete
     * transactions. Called directly (reflection: an internal API) because the command's own check
     * that the server runs probes an admin listener Payara Micro does not have.
     */
    @POST
    @Path("recover")
    public Response recover() throws Exception {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Object locator = Class.forName("org.glassfish.internal.api.Globals", true, loader)
                .getMethod("getDefaultHabitat").invoke(null);
        Class<?> type = Class.forName("com.sun.enterprise.transaction.api.ResourceRecoveryManager", true, loader);
        Object manager = locator.getClass().getMethod("getService", Class.class, java.lang.annotation.Annotation[].class)
                .invoke(locator, type, new java.lang.annotation.Annotation[0]);
        Object done = type.getMethod("recoverIncompleteTx", boolean.class, String.class).invoke(manager, false, null);
        return Response.ok("recovered " + done).build();
    }
}
