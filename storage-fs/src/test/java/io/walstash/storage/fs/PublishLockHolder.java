package io.walstash.storage.fs;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Another process publishing into a file:// directory by the rename fallback: takes the directory's
 * publish lock, says "locked", and on a line from stdin writes its own object at the key named by
 * its second argument, then exits (the kernel releases the lock).
 */
public final class PublishLockHolder {
    private PublishLockHolder() {
    }

    public static void main(String[] args) throws Exception {
        Path directory = Path.of(args[0]);
        try (FileChannel channel = FileChannel.open(directory.resolve(FileStorage.PUBLISH_LOCK),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            System.out.println("locked");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            Files.writeString(directory.resolve(args[1]), "theirs", StandardOpenOption.CREATE_NEW);
        }
    }
}
