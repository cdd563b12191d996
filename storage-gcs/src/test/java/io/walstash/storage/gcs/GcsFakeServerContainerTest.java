package io.walstash.storage.gcs;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.walstash.core.config.Settings;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import java.util.UUID;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The storage contract against fsouza/fake-gcs-server, where a Docker engine exists. Without one,
 * JUnit reports the class as skipped ({@code disabledWithoutDocker}); the contract tests against
 * LocalStorageHelper and FakeGcsServer are what run everywhere. The host port is fixed before the
 * start because the server writes its external URL into resumable-upload session locations.
 */
@Testcontainers(disabledWithoutDocker = true)
class GcsFakeServerContainerTest extends StorageContractTest {
    private static final int PORT = freePort();

    @Container
    static final GenericContainer<?> FAKE_GCS = new GenericContainer<>("fsouza/fake-gcs-server:1.52.2")
            .withCommand("-scheme", "http", "-port", "4443", "-external-url", "http://127.0.0.1:" + PORT)
            .withExposedPorts(4443)
            .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                    new PortBinding(Ports.Binding.bindPort(PORT), new ExposedPort(4443))))
            .waitingFor(Wait.forHttp("/storage/v1/b").forPort(4443));

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected Storage newStorage() throws Exception {
        String bucket = "walstash-" + UUID.randomUUID().toString().substring(0, 8);
        Storage storage = new GcsStorageProvider().open(URI.create("gs://" + bucket + "/repo"), Settings.of(Map.of(
                GcsDeclarations.ENDPOINT.name(), "http://127.0.0.1:" + PORT,
                GcsDeclarations.PROJECT.name(), "test-project")));
        ((CreatesBucket) storage).createBucketIfMissing();
        return storage;
    }
}
