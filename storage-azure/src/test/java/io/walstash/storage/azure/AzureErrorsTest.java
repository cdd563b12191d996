package io.walstash.storage.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.identity.CredentialUnavailableException;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Translation of the failures that Azurite can't produce; service errors are tested against Azurite. */
class AzureErrorsTest {
    private static final String SECRET = "c2VjcmV0LWtleS12YWx1ZQ==";
    private final AzureErrors errors = new AzureErrors("pg", "https://acct.blob.core.windows.net",
            Arrays.asList(SECRET, null, ""));

    @Test
    void tlsFailures() {
        StorageFailure failure = errors.translate(new UncheckedIOException(new SSLHandshakeException("PKIX path building failed")),
                "read 'k'");
        assertThat(failure.reason()).isEqualTo(Reason.TLS);
        assertThat(failure).hasMessage("TLS problem: TLS handshake with https://acct.blob.core.windows.net failed:"
                + " SSLHandshakeException: PKIX path building failed");
    }

    @Test
    void networkFailures() {
        assertThat(errors.translate(new RuntimeException(new UnknownHostException("acct.blob.core.windows.net")), "list ''"))
                .hasMessage("endpoint unreachable: cannot resolve the host of https://acct.blob.core.windows.net to list ''")
                .extracting(StorageFailure::reason).isEqualTo(Reason.UNREACHABLE);
        assertThat(errors.translate(new RuntimeException(new ConnectException("Connection refused")), "stat 'k'"))
                .hasMessage("endpoint unreachable: cannot reach https://acct.blob.core.windows.net to stat 'k' in container 'pg':"
                        + " ConnectException: Connection refused");
        assertThat(errors.translate(new RuntimeException(new TimeoutException()), "stat 'k'").reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(errors.translate(new UncheckedIOException(new IOException("unexpected end of stream on http://h/...")), "read 'k'"))
                .hasMessageStartingWith("endpoint unreachable: the connection to https://acct.blob.core.windows.net failed");
    }

    @Test
    void azureAdFailures() {
        assertThat(errors.translate(new CredentialUnavailableException("EnvironmentCredential unavailable.\nManagedIdentity..."),
                "create 'k'"))
                .satisfies(f -> assertThat(f.reason()).isEqualTo(Reason.NO_CREDENTIALS))
                .hasMessageContaining("no Azure credentials found to create 'k' in container 'pg'")
                .hasMessageContaining("AZURE_STORAGE_ACCESS_KEY")
                .hasMessageNotContaining("\n");
        assertThat(errors.translate(new ClientAuthenticationException("AADSTS7000215: Invalid client secret", null), "list ''"))
                .satisfies(f -> assertThat(f.reason()).isEqualTo(Reason.ACCESS_DENIED))
                .hasMessageNotContaining("AADSTS");
    }

    @Test
    void unknownFailuresAreNotQuoted() {
        StorageFailure failure = errors.translate(new IllegalStateException("oops " + SECRET), "read 'k'");
        assertThat(failure.reason()).isEqualTo(Reason.SERVICE_ERROR);
        assertThat(failure).hasMessage("storage service error: cannot read 'k' in container 'pg' at"
                + " https://acct.blob.core.windows.net: IllegalStateException");
    }

    @Test
    void quotedMessagesLoseQueriesAndSecrets() {
        assertThat(errors.scrub("GET https://acct.blob.core.windows.net/pg/k?sv=1&sig=abc failed\n  key " + SECRET))
                .isEqualTo("GET https://acct.blob.core.windows.net/pg/k?... failed key ***");
        assertThat(new AzureErrors("pg", "https://h/?sig=x", Arrays.asList()).endpoint()).isEqualTo("https://h/");
    }
}
