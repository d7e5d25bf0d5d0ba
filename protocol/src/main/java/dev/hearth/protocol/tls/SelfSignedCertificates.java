package dev.hearth.protocol.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/// Builds a minimal self-signed X.509 v3 certificate (ECDSA P-256, SHA-256) with the JDK alone, by writing its
/// DER encoding (RFC 5280 §4.1): the JDK has no public certificate builder, and the certificate is only ever
/// trusted by its pinned SHA-256 fingerprint, so no extensions or names beyond a common name are needed.
final class SelfSignedCertificates {
    private static final int TAG_INTEGER = 0x02;
    private static final int TAG_BIT_STRING = 0x03;
    private static final int TAG_OID = 0x06;
    private static final int TAG_UTF8_STRING = 0x0C;
    private static final int TAG_UTC_TIME = 0x17;
    private static final int TAG_GENERALIZED_TIME = 0x18;
    private static final int TAG_SEQUENCE = 0x30;
    private static final int TAG_SET = 0x31;
    private static final int TAG_EXPLICIT_0 = 0xA0;

    /// ecdsa-with-SHA256, OID 1.2.840.10045.4.3.2 (content octets).
    private static final byte[] OID_ECDSA_SHA256 = {0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x04, 0x03, 0x02};
    /// id-at-commonName, OID 2.5.4.3.
    private static final byte[] OID_COMMON_NAME = {0x55, 0x04, 0x03};
    /// X.509 version field value for v3.
    private static final int VERSION_3 = 2;
    /// 16 random bytes: RFC 5280 allows up to 20 octets; 128 bits make collisions irrelevant.
    private static final int SERIAL_BYTES = 16;
    /// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    private static final int FIRST_GENERALIZED_TIME_YEAR = 2050;

    private SelfSignedCertificates() {
    }

    /// @param keyPair an EC P-256 key pair
    static X509Certificate create(KeyPair keyPair, String commonName, Instant notBefore, Instant notAfter,
                                  SecureRandom random) throws GeneralSecurityException {
        byte[] algorithm = tlv(TAG_SEQUENCE, tlv(TAG_OID, OID_ECDSA_SHA256));
        byte[] name = tlv(TAG_SEQUENCE, tlv(TAG_SET, tlv(TAG_SEQUENCE,
                tlv(TAG_OID, OID_COMMON_NAME), tlv(TAG_UTF8_STRING, commonName.getBytes(StandardCharsets.UTF_8)))));
        byte[] serial = new byte[SERIAL_BYTES];
        random.nextBytes(serial);
        serial[0] = (byte) ((serial[0] & 0x7F) | 0x01); // positive and minimally encoded
        byte[] tbs = tlv(TAG_SEQUENCE,
                tlv(TAG_EXPLICIT_0, tlv(TAG_INTEGER, new byte[] {VERSION_3})),
                tlv(TAG_INTEGER, serial),
                algorithm,
                name,
                tlv(TAG_SEQUENCE, time(notBefore), time(notAfter)),
                name,
                keyPair.getPublic().getEncoded());
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(keyPair.getPrivate(), random);
        signer.update(tbs);
        byte[] signature = signer.sign();
        byte[] bitString = new byte[signature.length + 1]; // leading 0: no unused bits
        System.arraycopy(signature, 0, bitString, 1, signature.length);
        byte[] der = tlv(TAG_SEQUENCE, tbs, algorithm, tlv(TAG_BIT_STRING, bitString));
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        certificate.verify(keyPair.getPublic());
        return certificate;
    }

    private static byte[] time(Instant instant) {
        var utc = instant.atOffset(ZoneOffset.UTC);
        boolean generalized = utc.getYear() >= FIRST_GENERALIZED_TIME_YEAR;
        String text = utc.format(DateTimeFormatter.ofPattern(generalized ? "yyyyMMddHHmmss'Z'" : "yyMMddHHmmss'Z'"));
        return tlv(generalized ? TAG_GENERALIZED_TIME : TAG_UTC_TIME, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] tlv(int tag, byte[]... contents) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] content : contents) {
            body.writeBytes(content);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = body.size();
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }
}
