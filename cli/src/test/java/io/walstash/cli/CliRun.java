package io.walstash.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process run of the command line, with what it printed. */
public record CliRun(int exitCode, String out, String err) {
    public static CliRun of(String... args) {
        CommandLine commandLine = WalstashCommand.commandLine(args); // as Main builds it
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = WalstashCommand.execute(commandLine, args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** The lines printed on stderr. */
    public java.util.List<String> errLines() {
        return err.lines().toList();
    }
}
