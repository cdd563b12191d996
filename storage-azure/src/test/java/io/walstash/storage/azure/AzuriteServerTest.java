package io.walstash.storage.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class AzuriteServerTest {

    @Test
    void startsOnAFreePortAndStopsForGood() throws IOException {
        AzuriteServer server = new AzuriteServer();
        assertThat(server.isRunning()).isFalse();
        assertThat(server).hasToString("AzuriteServer[stopped]");
        try (server) {
            assertThat(server.start()).isSameAs(server);
            assertThat(server.start()).as("starting twice is starting once").isSameAs(server);
            int port = server.port();
            assertThat(server.isRunning()).isTrue();
            assertThat(server.blobEndpoint()).isEqualTo("http://127.0.0.1:" + port + "/devstoreaccount1");
            assertThat(server.connectionString()).contains("BlobEndpoint=" + server.blobEndpoint() + ";")
                    .contains("AccountName=devstoreaccount1;");
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            }

            server.stop();

            assertThat(server.isRunning()).isFalse();
            assertThatThrownBy(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                }
            }).isInstanceOf(ConnectException.class);
            assertThatThrownBy(server::port).isInstanceOf(IllegalStateException.class);
            server.stop(); // again: nothing to do
        }
    }

    @Test
    void executableIsFound() throws IOException {
        assertThat(Files.isExecutable(AzuriteServer.executable())).isTrue();
        assertThat(AzuriteServer.installDir().toString()).endsWith(".cache/walstash/azurite-3.37.0");
    }
}
