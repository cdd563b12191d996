package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/** The private CA first; the JDK's default store read only for a chain the private CA does not sign. */
class PemTrustTest {
    private static final X509Certificate[] CHAIN = new X509Certificate[0];

    /** Trusts every chain, or none (saying which manager refused). */
    private record Fixed(boolean trusts, String name) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (!trusts) {
                throw new CertificateException(name + " does not trust it");
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return CHAIN;
        }
    }

    @Test
    void aChainThePrivateCaSignsNeverReadsTheDefaultStore() throws CertificateException {
        AtomicInteger made = new AtomicInteger();
        PemTrust.EitherTrustManager trust = new PemTrust.EitherTrustManager(new Fixed(true, "private CA"), () -> {
            made.incrementAndGet();
            return new Fixed(true, "default store");
        });
        trust.checkServerTrusted(CHAIN, "EC");
        trust.checkServerTrusted(CHAIN, "EC");
        assertThat(made).hasValue(0);
    }

    @Test
    void anotherChainIsCheckedAgainstTheDefaultStoreMadeOnce() throws CertificateException {
        AtomicInteger made = new AtomicInteger();
        PemTrust.EitherTrustManager trust = new PemTrust.EitherTrustManager(new Fixed(false, "private CA"), () -> {
            made.incrementAndGet();
            return new Fixed(true, "default store");
        });
        trust.checkServerTrusted(CHAIN, "EC");
        trust.checkServerTrusted(CHAIN, "EC");
        assertThat(made).hasValue(1);
    }

    @Test
    void aChainNeitherTrustsIsRefusedWithBothReasons() {
        PemTrust.EitherTrustManager trust = new PemTrust.EitherTrustManager(new Fixed(false, "private CA"),
                () -> new Fixed(false, "default store"));
        assertThatThrownBy(() -> trust.checkServerTrusted(CHAIN, "EC"))
                .isInstanceOf(CertificateException.class)
                .hasMessage("default store does not trust it")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessage("private CA does not trust it")));
    }
}
