package dev.hearth.protocol.tls;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.identity.IdentityFileException;
import dev.hearth.protocol.identity.OwnerOnlyFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/// The coordinator's TLS identity: a self-signed ECDSA P-256 certificate and its key, created on first start
/// and kept (owner-only) in a directory. Nodes trust it by its SHA-256 fingerprint, which is part of the run
/// address (`hearth://host:port#sha256=<fingerprint>`), so no certificate authority is involved.
public final class CoordinatorCertificate {
    /// PEM certificate file name inside the directory.
    public static final String CERTIFICATE_FILE = "coordinator-tls.crt";
    /// PEM PKCS#8 private key file name inside the directory.
    public static final String KEY_FILE = "coordinator-tls.key";

    /// 100 years: the certificate is pinned by fingerprint, so expiry would only break a run's address
    /// without adding security; rotating means publishing a new address anyway.
    private static final Duration VALIDITY = Duration.ofDays(36_500);
    /// 1 day back-dating, so a node with a slightly wrong clock does not see a "not yet valid" certificate.
    private static final Duration CLOCK_SKEW_ALLOWANCE = Duration.ofDays(1);
    private static final String COMMON_NAME = "Hearth coordinator";

    private final PrivateKey privateKey;
    private final X509Certificate certificate;
    private final byte[] fingerprint;

    private CoordinatorCertificate(PrivateKey privateKey, X509Certificate certificate) {
        this.privateKey = privateKey;
        this.certificate = certificate;
        try {
            this.fingerprint = Fingerprints.sha256(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("certificate cannot be encoded", e);
        }
    }

    /// A fresh certificate held only in memory (tests, embedded local runs).
    public static CoordinatorCertificate generate() {
        try {
            SecureRandom random = new SecureRandom();
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair pair = generator.generateKeyPair();
            Instant now = Instant.now();
            X509Certificate certificate = SelfSignedCertificates.create(pair, COMMON_NAME,
                    now.minus(CLOCK_SKEW_ALLOWANCE), now.plus(VALIDITY), random);
            return new CoordinatorCertificate(pair.getPrivate(), certificate);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a self-signed EC certificate", e);
        }
    }

    /// Loads the certificate and key from `dir`, or creates both (owner-only) when neither exists.
    ///
    /// @throws IdentityFileException when a file is missing, unreadable or corrupt, naming it and what to do
    public static CoordinatorCertificate loadOrCreate(Path dir) {
        Path certFile = dir.resolve(CERTIFICATE_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        boolean certExists = Files.exists(certFile);
        boolean keyExists = Files.exists(keyFile);
        if (!certExists && !keyExists) {
            CoordinatorCertificate created = generate();
            try {
                OwnerOnlyFiles.writeNew(keyFile, pem("PRIVATE KEY", created.privateKey.getEncoded()));
                OwnerOnlyFiles.writeNew(certFile, pem("CERTIFICATE", created.certificate.getEncoded()));
            } catch (IOException | CertificateEncodingException e) {
                throw new IdentityFileException(keyFile, "Cannot write the coordinator certificate to " + dir + ": "
                        + e.getMessage() + ". Check that the directory is writable.", e);
            }
            return created;
        }
        if (!certExists || !keyExists) {
            Path missing = certExists ? keyFile : certFile;
            throw new IdentityFileException(missing, "The coordinator TLS file " + missing + " is missing while its "
                    + "partner exists. Restore it from a backup, or delete both " + CERTIFICATE_FILE + " and "
                    + KEY_FILE + " to create a new certificate (nodes then need the new run address).", null);
        }
        PrivateKey key = readKey(keyFile);
        X509Certificate certificate = readCertificate(certFile);
        CoordinatorCertificate loaded = new CoordinatorCertificate(key, certificate);
        if (!loaded.keyMatchesCertificate()) {
            throw new IdentityFileException(keyFile, "The coordinator key " + keyFile + " does not belong to the "
                    + "certificate " + certFile + ". Restore the matching pair, or delete both to create a new one.",
                    null);
        }
        return loaded;
    }

    private boolean keyMatchesCertificate() {
        try {
            byte[] probe = "hearth-certificate-self-check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static PrivateKey readKey(Path file) {
        try {
            byte[] der = unpem(Files.readString(file, StandardCharsets.US_ASCII), "PRIVATE KEY");
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException e) {
            throw new IdentityFileException(file, "Cannot read the coordinator key " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw corrupt(file, e);
        }
    }

    private static X509Certificate readCertificate(Path file) {
        try {
            byte[] der = unpem(Files.readString(file, StandardCharsets.US_ASCII), "CERTIFICATE");
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (IOException e) {
            throw new IdentityFileException(file, "Cannot read the coordinator certificate " + file + ": "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw corrupt(file, e);
        }
    }

    private static IdentityFileException corrupt(Path file, Exception cause) {
        return new IdentityFileException(file, "The coordinator TLS file " + file + " is corrupt: "
                + cause.getMessage() + ". Restore it from a backup, or delete both " + CERTIFICATE_FILE + " and "
                + KEY_FILE + " to create a new certificate (nodes then need the new run address).", cause);
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] unpem(String text, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("no PEM block '" + begin + "'");
        }
        return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /// SHA-256 of the certificate's DER encoding (32 bytes); signed into every challenge response.
    public byte[] fingerprint() {
        return fingerprint.clone();
    }

    /// Lower-case hex of [#fingerprint()], as in the run address.
    public String fingerprintHex() {
        return Fingerprints.hex(fingerprint);
    }
}
