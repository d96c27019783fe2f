package io.pgtier.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at test time, for TLS tests: its root certificate, and server and
 * client certificates it signs, written as files PostgreSQL and pgjdbc read (PEM; a client's key
 * also as PKCS-8 DER, the form pgjdbc's {@code sslkey} takes). Nothing is installed and nothing
 * outlives the folder. Bouncy Castle builds the certificates: the JDK can sign them but has no
 * public API to make one.
 */
public final class TestCa {

    /** A certificate and its private key, as files. {@code keyDer} is the key in PKCS-8 DER. */
    public record Issued(Path cert, Path key, Path keyDer) {
    }

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path folder;
    private final String name;
    private final KeyPair keys;
    private final X509Certificate root;
    private final Path rootFile;

    private TestCa(Path folder, String name) throws GeneralSecurityException, OperatorCreationException, IOException {
        this.folder = Files.createDirectories(folder);
        this.name = name;
        this.keys = rsa();
        X500Name subject = new X500Name("CN=pgtier test CA " + name);
        X509v3CertificateBuilder builder = builder(subject, subject, keys, Duration.ofDays(-1), Duration.ofDays(30));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.root = sign(builder, keys);
        this.rootFile = pem(folder.resolve(name + "-root.crt"), root);
    }

    /** A new authority whose files go into {@code folder}, named after {@code name}. */
    public static TestCa create(Path folder, String name) {
        try {
            return new TestCa(folder, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("could not make the test CA " + name, e);
        }
    }

    /** The root certificate (PEM): what a client trusts ({@code sslrootcert}) or a server checks clients against. */
    public Path rootCert() {
        return rootFile;
    }

    /**
     * A server certificate for {@code hosts} (names and IP addresses, each a subject alternative
     * name), valid from yesterday for 30 days, or already expired when {@code expired}.
     */
    public Issued server(String fileName, boolean expired, String... hosts) {
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
            names.add(host.matches("[0-9.]+") ? new GeneralName(GeneralName.iPAddress, host)
                    : new GeneralName(GeneralName.dNSName, host));
        }
        return issue(fileName, "CN=" + hosts[0], expired, KeyPurposeId.id_kp_serverAuth, new GeneralNames(names.toArray(GeneralName[]::new)));
    }

    /** A client certificate for database user {@code user} (its common name, as {@code cert} authentication reads it). */
    public Issued client(String fileName, String user) {
        return issue(fileName, "CN=" + user, false, KeyPurposeId.id_kp_clientAuth, null);
    }

    private Issued issue(String fileName, String subject, boolean expired, KeyPurposeId purpose, GeneralNames altNames) {
        try {
            KeyPair pair = rsa();
            X509v3CertificateBuilder builder = expired
                    ? builder(new X500Name("CN=pgtier test CA " + name), new X500Name(subject), pair, Duration.ofDays(-30), Duration.ofDays(-1))
                    : builder(new X500Name("CN=pgtier test CA " + name), new X500Name(subject), pair, Duration.ofDays(-1), Duration.ofDays(30));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            X509Certificate cert = sign(builder, keys);
            Path certFile = pem(folder.resolve(fileName + ".crt"), cert);
            Path keyFile = pem(folder.resolve(fileName + ".key"), pair.getPrivate());
            Path keyDer = Files.write(folder.resolve(fileName + ".pk8"), pair.getPrivate().getEncoded());
            for (Path key : List.of(keyFile, keyDer)) {
                // PostgreSQL and pgjdbc refuse a private key that others may read.
                Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
            return new Issued(certFile, keyFile, keyDer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("could not issue " + subject + " from the test CA " + name, e);
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair pair, Duration from,
                                                    Duration until) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.plus(from)), Date.from(now.plus(until)), subject, pair.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate())));
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static Path pem(Path file, Object object) throws IOException {
        try (Writer out = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(object);
        }
        return file;
    }
}
