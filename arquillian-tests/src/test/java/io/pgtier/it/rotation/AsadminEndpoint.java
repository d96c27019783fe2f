package io.pgtier.it.rotation;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.lang.annotation.Annotation;
import java.util.Arrays;

/**
 * Test-only, added to the application WAR by RotationIT: one {@code asadmin} command run inside
 * Payara Micro, as its post-boot file's commands are run (Micro has no admin listener to send one
 * from outside). The body is the command line, words separated by spaces. It goes through
 * GlassFish's embeddable {@code org.glassfish.embeddable.CommandRunner}, found in HK2, reached by
 * reflection because those classes are Micro's own, not an API an application compiles against.
 */
@Path("asadmin")
public class AsadminEndpoint {

    @POST
    public String run(String commandLine) throws Exception {
        String[] words = commandLine.trim().split(" +");
        Class<?> globals = Class.forName("org.glassfish.internal.api.Globals");
        Object locator = globals.getMethod("getDefaultBaseServiceLocator").invoke(null);
        Class<?> runnerType = Class.forName("org.glassfish.embeddable.CommandRunner");
        Object runner = Class.forName("org.glassfish.hk2.api.ServiceLocator").getMethod("getService", Class.class, Annotation[].class)
                .invoke(locator, runnerType, new Annotation[0]);
        Object result = runnerType.getMethod("run", String.class, String[].class)
                .invoke(runner, words[0], Arrays.copyOfRange(words, 1, words.length));
        Class<?> resultType = Class.forName("org.glassfish.embeddable.CommandResult");
        String status = String.valueOf(resultType.getMethod("getExitStatus").invoke(result));
        String output = String.valueOf(resultType.getMethod("getOutput").invoke(result));
        if (!status.equals("SUCCESS")) {
            Object cause = resultType.getMethod("getFailureCause").invoke(result);
            throw new WebApplicationException(Response.status(500).entity(status + ": " + output + " " + cause).build());
        }
        return output;
    }
}
