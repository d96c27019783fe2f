package io.pgtier.web;

import static io.pgtier.web.ErrorJson.required;

import io.pgtier.client.BmtNotesBean;
import io.pgtier.client.JndiNotesBean;
import io.pgtier.client.LeakyNotesBean;
import io.pgtier.client.NotesBean;
import io.pgtier.client.ReadOnlyNotesBean;
import io.pgtier.client.TransferBean;
import jakarta.ejb.EJB;
import jakarta.ejb.EJBException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;

/**
 * Drives the example beans over HTTP, so each way of using pgtier can be tried with curl and
 * exercised by the container tests. Each endpoint is one bean call; what it shows is in the bean's
 * Javadoc. An {@link SQLException} becomes a 503 ({@link SqlExceptionMapper}); the two endpoints
 * whose bean fails on purpose answer 500 with {@code "outcome": "rolled back"}.
 */
@Path("examples")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class ExamplesResource {

    @EJB
    NotesBean notes;
    @EJB
    JndiNotesBean jndiNotes;
    @EJB
    BmtNotesBean bmtNotes;
    @EJB
    LeakyNotesBean leakyNotes;
    @EJB
    ReadOnlyNotesBean readOnlyNotes;
    @EJB
    TransferBean transfers;

    @POST
    @Path("notes")
    public Response add(@QueryParam("text") String text) throws SQLException {
        return created(Json.createObjectBuilder().add("id", notes.add(required("text", text))).build());
    }

    @POST
    @Path("notes/fail")
    public Response addThenFail(@QueryParam("text") String text) throws SQLException {
        try {
            notes.addThenFail(required("text", text));
            throw new IllegalStateException("NotesBean.addThenFail returned instead of failing");
        } catch (EJBException e) {
            return rolledBack(e);
        }
    }

    @POST
    @Path("notes/end-transaction")
    public Response addEndingTransactionThenFail(@QueryParam("text") String text, @QueryParam("autocommit") boolean autoCommit)
            throws SQLException {
        try {
            notes.addEndingTransactionThenFail(required("text", text), autoCommit);
            throw new IllegalStateException("NotesBean.addEndingTransactionThenFail returned instead of failing");
        } catch (EJBException e) {
            return rolledBack(e);
        }
    }

    @POST
    @Path("notes/rollback-only")
    public JsonObject addThenRollbackOnly(@QueryParam("text") String text) throws SQLException {
        notes.addThenRollbackOnly(required("text", text));
        return Json.createObjectBuilder().add("outcome", "rolled back").build();
    }

    @POST
    @Path("notes/independent")
    public Response addWithIndependent(@QueryParam("outer") String outer, @QueryParam("inner") String inner)
            throws SQLException {
        try {
            notes.addWithIndependent(required("outer", outer), required("inner", inner));
            throw new IllegalStateException("NotesBean.addWithIndependent returned instead of failing");
        } catch (EJBException e) {
            return rolledBack(e);
        }
    }

    @GET
    @Path("notes/count")
    public JsonObject count(@QueryParam("text") String text) throws SQLException {
        return count(notes.count(required("text", text)));
    }

    @GET
    @Path("notes/count-jndi")
    public JsonObject countJndi(@QueryParam("text") String text) throws SQLException {
        return count(jndiNotes.count(required("text", text)));
    }

    @GET
    @Path("notes/count-readonly")
    public JsonObject countReadOnly(@QueryParam("text") String text) throws SQLException {
        return count(readOnlyNotes.count(required("text", text)));
    }

    /** One note per line of the body, through COPY. */
    @POST
    @Path("notes/copy")
    @Consumes(MediaType.TEXT_PLAIN)
    public Response copy(String body) throws SQLException {
        return created(Json.createObjectBuilder().add("copied", jndiNotes.copy(body.lines().toList())).build());
    }

    @POST
    @Path("notes/bmt")
    public Response bmt(@QueryParam("text") String text, @QueryParam("commit") @DefaultValue("true") boolean commit)
            throws SQLException {
        JsonObject body = Json.createObjectBuilder()
                .add("id", bmtNotes.add(required("text", text), commit)).add("committed", commit).build();
        return commit ? created(body) : Response.ok(body).build();
    }

    @POST
    @Path("notes/leak")
    public JsonObject leak(@QueryParam("text") String text) throws SQLException {
        return count(leakyNotes.countWithoutClosing(required("text", text)));
    }

    /**
     * A bank transfer under the caller's unique id. 200: committed. 503 (an SQLException from the
     * bean): failed before commit, so rolled back. 500 (the container's commit failed): the outcome
     * is unknown — the server may have committed before the connection was lost.
     */
    @POST
    @Path("transfers")
    public JsonObject transfer(@QueryParam("id") String id, @QueryParam("from") int from, @QueryParam("to") int to,
            @QueryParam("amount") long amount) throws SQLException {
        return server(transfers.transfer(required("id", id), from, to, amount));
    }

    @GET
    @Path("server")
    public JsonObject server() throws SQLException {
        return server(notes.server());
    }

    @GET
    @Path("server-jndi")
    public JsonObject serverJndi() throws SQLException {
        return server(jndiNotes.server());
    }

    @GET
    @Path("server-readonly")
    public JsonObject serverReadOnly() throws SQLException {
        return server(readOnlyNotes.server());
    }

    private static Response created(JsonObject body) {
        return Response.status(Response.Status.CREATED).entity(body).build();
    }

    /** 500: the bean failed on purpose and the container rolled its transaction back. */
    private static Response rolledBack(EJBException e) {
        String cause = ErrorJson.rootCause(e).getMessage();
        return ErrorJson.response(Response.Status.INTERNAL_SERVER_ERROR,
                ErrorJson.put(Json.createObjectBuilder().add("outcome", "rolled back"), "cause", cause).build());
    }

    private static JsonObject count(long n) {
        return Json.createObjectBuilder().add("count", n).build();
    }

    private static JsonObject server(String server) {
        return Json.createObjectBuilder().add("server", server).build();
    }
}
