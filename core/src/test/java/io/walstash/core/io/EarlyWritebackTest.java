package io.walstash.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EarlyWritebackTest {
    @TempDir
    Path dir;

    private Path fileOf(String name, int size) throws IOException {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void writesBackWhatItIsAskedAndLeavesTheBytesAsTheyAre() throws IOException {
        Path file = fileOf("16397", 3 << 20);
        byte[] before = Files.readAllBytes(file);
        EarlyWriteback writeback = new EarlyWriteback("test-writeback");
        writeback.request(file);
        writeback.finish();
        assertThat(writeback.synced()).isEqualTo(1);
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void aWritebackThatFailsFailsTheWorkNamingTheFile() throws IOException {
        Path fine = fileOf("1259", 8192);
        Path gone = dir.resolve("16384"); // a file that cannot be opened stands for one whose write-back failed
        EarlyWriteback writeback = new EarlyWriteback("test-writeback");
        writeback.request(gone);
        writeback.request(fine);
        assertThatThrownBy(writeback::finish)
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("could not write " + gone + " to disk: ");
    }

    @Test
    void aWritebackOfALinkIsRefusedRatherThanFollowed() throws IOException {
        Path target = fileOf("elsewhere", 4096);
        Path link = Files.createSymbolicLink(dir.resolve("16385"), target);
        EarlyWriteback writeback = new EarlyWriteback("test-writeback");
        writeback.request(link);
        assertThatThrownBy(writeback::finish).hasMessageContaining(link.toString());
        assertThat(writeback.synced()).isZero();
    }

    @Test
    void afterCloseRequestsAreDroppedWithoutAFailureEvenWhileItCloses() throws Exception {
        Path file = fileOf("2619", 64 * 1024);
        EarlyWriteback writeback = new EarlyWriteback("test-writeback");
        CountDownLatch started = new CountDownLatch(4);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        List<Thread> requesters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                started.countDown();
                try {
                    for (int n = 0; n < 20_000; n++) {
                        writeback.request(file);
                    }
                } catch (Throwable e) {
                    thrown.compareAndSet(null, e);
                }
            });
            requesters.add(t);
            t.start();
        }
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        writeback.close();
        for (Thread t : requesters) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(thrown.get()).isNull();
        writeback.finish(); // waits for a sync that was in progress at the close, so the count below is final
        long afterClose = writeback.synced();
        writeback.request(file);
        writeback.finish();
        assertThat(writeback.synced()).isEqualTo(afterClose);
    }
}
