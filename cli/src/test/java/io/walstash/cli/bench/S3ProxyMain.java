package io.walstash.cli.bench;

import io.walstash.storage.s3.S3ProxyServer;
import java.util.Map;

/**
 * Runs the tests' s3proxy on its own for shell benchmarks: prints the environment that reaches it
 * (one {@code NAME=value} a line, then {@code READY}) and serves until its stdin closes.
 */
public final class S3ProxyMain {
    private S3ProxyMain() {
    }

    public static void main(String[] args) throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            String bucket = s3.newBucket();
            for (Map.Entry<String, String> e : s3.settings("s3://" + bucket + "/bench").entrySet()) {
                System.out.println(e.getKey() + "=" + e.getValue());
            }
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the benchmark closes our stdin
            }
        }
    }
}
