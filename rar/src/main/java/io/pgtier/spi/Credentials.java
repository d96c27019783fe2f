package io.pgtier.spi;

import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.security.PasswordCredential;
import java.util.Objects;
import javax.security.auth.Subject;

/**
 * Who a managed connection signs on as, when it is not the tiers' configured user: from
 * {@code DataSource.getConnection(user, password)} or from container-managed sign-on.
 * Part of matching: a pooled connection is only reused for the same credentials.
 */
record Credentials(String user, String password) implements ConnectionRequestInfo {

    /** The credentials for a new managed connection, or {@code null} for the tiers' own. */
    static Credentials resolve(Subject subject, ConnectionRequestInfo info, ManagedConnectionFactory factory) {
        if (info instanceof Credentials given) {
            return given;
        }
        if (subject != null) {
            for (PasswordCredential pc : subject.getPrivateCredentials(PasswordCredential.class)) {
                if (factory.equals(pc.getManagedConnectionFactory())) {
                    return new Credentials(pc.getUserName(), new String(pc.getPassword()));
                }
            }
        }
        return null;
    }

    static boolean same(Credentials a, Credentials b) {
        return Objects.equals(a, b);
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "Credentials[user=" + user + "]";
    }
}
