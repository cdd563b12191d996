package io.walstash.cli.bench;

import io.walstash.storage.s3.S3ProxyServer;
import java.nio.file.Path;

/**
 * An s3proxy for benchmark scripts, in its own process: {@code S3ProxyMain BUCKET [KEYSTORE PASSWORD]}
 * starts it (https when a PKCS12 key store is given, which pgBackRest requires), creates the bucket,
 * writes the endpoint to stdout and serves until stdin closes. Not a test.
 */
public final class S3ProxyMain {
    private S3ProxyMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1 && args.length != 3) {
            System.err.println("usage: S3ProxyMain BUCKET [KEYSTORE PASSWORD]");
            System.exit(2);
        }
        try (S3ProxyServer server = args.length == 3
                ? S3ProxyServer.startTls(Path.of(args[1]), args[2])
                : S3ProxyServer.start()) {
            server.createBucket(args[0]);
            System.out.println(server.endpoint());
            System.out.flush();
            // serve until the script closes our stdin (or kills us)
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
