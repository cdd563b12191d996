package io.walstash.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for an endpoint with a private CA: the certificates of a PEM file in addition to the
 * JDK's default trust store, so that the same settings work for AWS and for a MinIO with its own CA.
 * The default store (the JDK's cacerts, some 140 certificates to parse: about 60 ms of a cold
 * JVM, on the way to an auto daemon's first answer) is read only when a server's chain is not the
 * private CA's.
 */
final class PemTrust {
    private PemTrust() {
    }

    static TrustManager[] trustManagers(Path pemFile, String settingName) throws IOException {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(pemFile)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (CertificateException e) {
            throw new IOException(settingName + " " + pemFile + " holds no readable PEM certificate: " + S3Errors.oneLine(String.valueOf(e.getMessage())), e);
        } catch (IOException e) {
            throw new IOException(settingName + " " + pemFile + " cannot be read: " + e, e);
        }
        if (certificates.isEmpty()) {
            throw new IOException(settingName + " " + pemFile + " holds no certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("walstash-ca-" + i++, certificate);
            }
            X509TrustManager custom = x509(store);
            return new TrustManager[] {new EitherTrustManager(custom, PemTrust::systemTrust)};
        } catch (GeneralSecurityException e) {
            throw new IOException(settingName + " " + pemFile + ": cannot build a trust store: " + e.getMessage(), e);
        }
    }

    /** The JDK's default trust, as a manager; a failure to build it is a certificate not trusted. */
    private static X509TrustManager systemTrust() throws CertificateException {
        try {
            return x509(null);
        } catch (GeneralSecurityException e) {
            throw new CertificateException("the default trust store cannot be read: " + e.getMessage(), e);
        }
    }

    private static X509TrustManager x509(KeyStore store) throws GeneralSecurityException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) {
                return x509;
            }
        }
        throw new GeneralSecurityException("no X509TrustManager from " + factory.getAlgorithm());
    }

    /** Makes the second manager when it is first needed. */
    interface LaterTrust {
        X509TrustManager make() throws CertificateException;
    }

    /**
     * Trusts a server that either manager trusts, the second made only when the first does not
     * (then kept); the first one's failure is kept as suppressed.
     */
    static final class EitherTrustManager implements X509TrustManager {
        private final X509TrustManager first;
        private final LaterTrust later;
        private X509TrustManager second;

        EitherTrustManager(X509TrustManager first, LaterTrust later) {
            this.first = first;
            this.later = later;
        }

        private synchronized X509TrustManager second() throws CertificateException {
            if (second == null) {
                second = later.make();
            }
            return second;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                first.checkClientTrusted(chain, authType);
            } catch (CertificateException e) {
                second().checkClientTrusted(chain, authType);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                first.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                try {
                    second().checkServerTrusted(chain, authType);
                } catch (CertificateException e2) {
                    e2.addSuppressed(e);
                    throw e2;
                }
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            List<X509Certificate> all = new ArrayList<>(List.of(first.getAcceptedIssuers()));
            try {
                all.addAll(List.of(second().getAcceptedIssuers()));
            } catch (CertificateException e) {
                // the default store unreadable: only the private CA's are accepted
            }
            return all.toArray(new X509Certificate[0]);
        }
    }
}
