package io.pgtier.pg;

import io.pgtier.tier.TierEndpoint;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import javax.net.ssl.SSLException;
import org.postgresql.ds.common.BaseDataSource;

/**
 * A tier's TLS, set the same way on its pool's data source and on its probe's, and what a TLS
 * failure means. A refused certificate, a host name the certificate does not carry, an expired
 * certificate, a server without TLS where TLS is required, a client certificate the server refused:
 * each is configuration, not an outage (waiting cannot help), so it is said once, names its reason,
 * and is not held against the server; the walk goes on to the next tier.
 */
public final class PgTls {

    private PgTls() {
    }

    /** Sets the tier's TLS properties that are given; the others stay as the URL says. */
    static void apply(BaseDataSource ds, TierEndpoint.Tls tls) {
        if (tls.mode() != null) {
            ds.setSslMode(tls.mode());
        }
        if (tls.rootCert() != null) {
            ds.setSslRootCert(tls.rootCert());
        }
        if (tls.cert() != null) {
            ds.setSslCert(tls.cert());
        }
        if (tls.key() != null) {
            ds.setSslKey(tls.key());
        }
    }

    /** Why TLS refused this connection attempt, in a few words, or {@code null} when it is not a TLS refusal. */
    public static String problem(SQLException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("could not be verified by hostnameverifier")) {
            return "wrong host name: the server's certificate does not name the host in the URL";
        }
        if (message.contains("does not support SSL")) {
            return "no TLS: the server does not offer TLS, and sslMode requires it";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            // The validator wraps the reason: look for expiry all the way down before calling it untrusted.
            if (t instanceof CertificateExpiredException || t instanceof java.security.cert.CertificateNotYetValidException
                    || String.valueOf(t.getMessage()).contains("validity check failed")) {
                return "expired: the server's certificate is not valid now";
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) {
                return "unknown CA: the server's certificate is not signed by a CA in sslRootCert";
            }
            if (t instanceof SSLException ssl && String.valueOf(ssl.getMessage()).matches("(?i).*(bad_certificate|"
                    + "certificate_required|unknown_ca|certificate_unknown|certificate_expired|certificate_revoked|access_denied).*")) {
                return "client certificate refused: the server did not accept sslCert (or asked for one)";
            }
        }
        return null;
    }

    /** {@code e} with its TLS reason in front when it is a TLS refusal, else {@code e} itself. */
    static SQLException explained(SQLException e) {
        String problem = problem(e);
        if (problem == null) {
            return e;
        }
        SQLException explained = new SQLException("TLS refused (" + problem + "): " + e.getMessage(), e.getSQLState(), e);
        return explained;
    }
}
