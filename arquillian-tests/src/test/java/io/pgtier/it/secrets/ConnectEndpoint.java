package io.pgtier.it.secrets;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import javax.naming.InitialContext;
import javax.sql.DataSource;

/**
 * Test-only, added to the application WAR by SecretsIT: opens a connection of the resource named
 * {@code jndi} and answers what a bean would see — "connected", or the whole error with every
 * cause and its stack trace, as a bean that logs it would write it out.
 */
@Path("connect")
public class ConnectEndpoint {

    @GET
    public String connect(@QueryParam("jndi") String jndi) {
        try {
            DataSource ds = (DataSource) new InitialContext().lookup(jndi);
            try (Connection c = ds.getConnection()) {
                return "connected";
            }
        } catch (Exception e) {
            StringWriter out = new StringWriter();
            e.printStackTrace(new PrintWriter(out));
            for (Throwable t = e; t != null; t = t.getCause()) {
                out.append("\ncause: ").append(String.valueOf(t));
            }
            return out.toString();
        }
    }
}
