package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Where s3proxy's filesystem store differs from S3, written down once for the contract tests that run on it. */
final class S3ProxyQuirks {
    private S3ProxyQuirks() {
    }

    /**
     * s3proxy keeps objects as files, so {@code p/q} and {@code p/q/r} can't both exist: the second
     * create fails naming its key (s3proxy answers 500) or, for a key where a directory is, says
     * the key is taken; and even a HEAD of {@code p/q/r} answers
     * 500 while {@code p/q} is a file. MinIO refuses such keys as well; AWS S3 allows them.
     */
    static void keyThatIsAlsoAPrefix(Storage storage) throws IOException {
        assertThat(storage.createIfAbsent("p/q", stream("object p/q"))).isTrue();
        assertThat(storage.createIfAbsent("s/t/u", stream("object s/t/u"))).isTrue();

        assertThatThrownBy(() -> storage.createIfAbsent("p/q/r", stream("object p/q/r")))
                .isInstanceOf(IOException.class).hasMessageContaining("p/q/r");
        // where a directory is in the way, s3proxy answers If-None-Match: * with 412 (so: false) and a plain PUT with 500
        try {
            assertThat(storage.createIfAbsent("s/t", stream("object s/t"))).isFalse();
        } catch (IOException e) {
            assertThat(e).hasMessageContaining("s/t");
        }

        assertThat(storage.stat("s/t")).isEmpty();
        try (Stream<String> keys = storage.list("").map(info -> info.key())) {
            assertThat(keys.collect(Collectors.toList())).containsExactlyInAnyOrderElementsOf(List.of("p/q", "s/t/u"));
        }
        assertThat(read(storage, "p/q")).isEqualTo("object p/q");
        assertThat(read(storage, "s/t/u")).isEqualTo("object s/t/u");
    }

    private static InputStream stream(String content) {
        return new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(Storage storage, String key) throws IOException {
        try (InputStream in = storage.read(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
