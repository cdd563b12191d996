package io.walstash.cli;

/** Entry point of the {@code walstash} launcher. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(WalstashCommand.execute(args));
    }
}
