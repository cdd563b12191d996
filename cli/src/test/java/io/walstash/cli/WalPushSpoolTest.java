package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wal-push --spool against an S3 endpoint nobody listens on, through the real command line, in process. */
class WalPushSpoolTest {
    private static final String SEGMENT = "000000010000000000000002";

    @TempDir
    Path dir;

    /** A config file naming an S3 endpoint on a port that was free a moment ago, with retries kept short. */
    private Path unreachableStorage(String extra) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        return Files.writeString(dir.resolve("walstash.env"), String.join("\n",
                "WALSTASH_STORAGE=s3://nobody-home/pg",
                "AWS_ENDPOINT=http://127.0.0.1:" + port,
                "AWS_S3_FORCE_PATH_STYLE=true",
                "AWS_REGION=us-east-1",
                "AWS_ACCESS_KEY_ID=key",
                "AWS_SECRET_ACCESS_KEY=never-printed-secret",
                "WALSTASH_S3_MAX_RETRIES=0",
                "WALSTASH_RETRIES=1",
                "WALSTASH_RETRY_BASE=10ms",
                extra, ""));
    }

    @Test
    void unreachableStorageSpoolsAndExitsZeroWithAWarning() throws IOException {
        Path config = unreachableStorage("");
        Path segment = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("pg_wal")), SEGMENT, 99, 1);
        Path spool = dir.resolve("spool");

        CliRun push = CliRun.of("wal-push", "--config", config.toString(), "--spool", spool.toString(), segment.toString());

        assertThat(push.exitCode()).as(push.err()).isZero();
        assertThat(push.errLines()).singleElement().asString()
                .startsWith("walstash: warning: storage unavailable (endpoint unreachable")
                .contains(SEGMENT + " spooled to " + spool.resolve(SEGMENT))
                .doesNotContain("never-printed-secret");
        assertThat(Files.mismatch(segment, spool.resolve(SEGMENT))).isEqualTo(-1);
    }

    @Test
    void fullSpoolOrNoSpoolFailsThePush() throws IOException {
        Path segment = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("pg_wal")), SEGMENT, 99, 1);

        CliRun full = CliRun.of("wal-push", "--config", unreachableStorage("WALSTASH_SPOOL_MAX_SIZE=512KiB").toString(),
                "--spool", dir.resolve("spool").toString(), segment.toString());
        assertThat(full.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(full.errLines()).singleElement().asString().startsWith("walstash: error: cannot archive " + SEGMENT)
                .contains("is full").contains("WALSTASH_SPOOL_MAX_SIZE");
        assertThat(dir.resolve("spool/" + SEGMENT)).doesNotExist();

        CliRun none = CliRun.of("wal-push", "--config", unreachableStorage("").toString(), segment.toString());
        assertThat(none.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(none.errLines()).singleElement().asString().startsWith("walstash: error: endpoint unreachable")
                .contains("failed 2 times");
    }
}
