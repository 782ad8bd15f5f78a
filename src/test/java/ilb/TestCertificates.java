package ilb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

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
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at run time, and the certificates it issues, written as PEM files into a folder: what
 * a test needs for real TLS peers (ilb's API, backends, clients with certificates of their own), including the
 * broken ones (expired, for another host, from another CA). EC P-256 keys: quick to make.
 */
public final class TestCertificates {

    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    /** A certificate and its key, as PEM files, and as objects for Java clients. */
    public record Issued(Path certFile, Path keyFile, X509Certificate certificate, KeyPair keys) {

        /** A PKCS#12 key store holding the key and certificate under alias {@code ilb}, written beside the PEM files. */
        public Path keyStore(String password) {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("ilb", keys.getPrivate(), password.toCharArray(),
                        new X509Certificate[] {certificate});
                Path file = certFile.resolveSibling(certFile.getFileName().toString().replace(".pem", ".p12"));
                try (var out = Files.newOutputStream(file)) {
                    store.store(out, password.toCharArray());
                }
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final Path dir;
    private final String name;
    private final KeyPair keys;
    private final X509Certificate certificate;
    private final Path caFile;

    private TestCertificates(Path dir, String name) {
        this.dir = dir;
        this.name = name;
        this.keys = newKeys();
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + name);
        this.certificate = sign(subject, keys, subject, keys, now.minus(Duration.ofHours(1)),
                now.plus(Duration.ofDays(30)), true, null, null);
        this.caFile = dir.resolve(name + ".pem");
        writePem(caFile, certificate);
    }

    /** A new certificate authority named {@code name}, its certificate written to {@code dir/<name>.pem}. */
    public static TestCertificates authority(Path dir, String name) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TestCertificates(dir, name);
    }

    /** The authority's certificate (PEM): what peers that trust it are given as their trust file. */
    public Path caFile() {
        return caFile;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A server certificate valid for a month, for the given DNS names and IP addresses ({@code "127.0.0.1"},
     * {@code "localhost"}), written to {@code <file>.pem} and {@code <file>-key.pem}.
     */
    public Issued server(String file, String... names) {
        Instant now = Instant.now();
        return issue(file, names[0], now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)),
                KeyPurposeId.id_kp_serverAuth, names);
    }

    /** A server certificate for the given names that expired an hour ago. */
    public Issued expiredServer(String file, String... names) {
        Instant now = Instant.now();
        return issue(file, names[0], now.minus(Duration.ofDays(30)), now.minus(Duration.ofHours(1)),
                KeyPurposeId.id_kp_serverAuth, names);
    }

    /** A client certificate (for mutual TLS) with the common name {@code commonName}. */
    public Issued client(String file, String commonName) {
        Instant now = Instant.now();
        return issue(file, commonName, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)),
                KeyPurposeId.id_kp_clientAuth);
    }

    /** A trust manager that trusts this authority alone, for Java clients. */
    public X509TrustManager trustManager() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry(name, certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client TLS context that trusts this authority alone. */
    public SSLContext clientContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {trustManager()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Issued issue(String file, String commonName, Instant notBefore, Instant notAfter, KeyPurposeId purpose,
            String... names) {
        KeyPair issued = newKeys();
        GeneralNames alternatives = names.length == 0 ? null : new GeneralNames(java.util.Arrays.stream(names)
                .map(TestCertificates::generalName).toArray(GeneralName[]::new));
        X509Certificate cert = sign(new X500Name("CN=" + commonName), issued, new X500Name("CN=" + name), keys,
                notBefore, notAfter, false, alternatives, purpose);
        Path certFile = dir.resolve(file + ".pem");
        Path keyFile = dir.resolve(file + "-key.pem");
        writePem(certFile, cert);
        writePem(keyFile, pkcs8(issued));
        return new Issued(certFile, keyFile, cert, issued);
    }

    private static GeneralName generalName(String name) {
        return Character.isDigit(name.charAt(0)) || name.contains(":")
                ? new GeneralName(GeneralName.iPAddress, ipAddress(name))
                : new GeneralName(GeneralName.dNSName, name);
    }

    private static String ipAddress(String literal) {
        try {
            return InetAddress.getByName(literal).getHostAddress();
        } catch (IOException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
            Instant notBefore, Instant notAfter, boolean authority, GeneralNames alternatives, KeyPurposeId purpose) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject,
                    subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
            if (authority) {
                builder.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            }
            if (alternatives != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, alternatives);
            }
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign a test certificate", e);
        }
    }

    private static KeyPair newKeys() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writePem(Path file, Object object) {
        try (Writer out = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A private key as PKCS#8 ("PRIVATE KEY"), the form Netty, grpc-java and HAProxy all read. */
    private static JcaPKCS8Generator pkcs8(KeyPair keys) {
        try {
            return new JcaPKCS8Generator(keys.getPrivate(), null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
