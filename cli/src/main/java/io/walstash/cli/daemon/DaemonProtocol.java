package io.walstash.cli.daemon;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's wire format, described in docs/daemon-protocol.md. Uses the JDK only: the fast
 * client encodes with it before picocli, Jackson or any storage SDK is loaded.
 *
 * <p>Every message is a frame: the 8 bytes {@code WSDAEMON}, a 2-byte protocol version, a 4-byte
 * body length, then the body. Integers are big-endian; strings are a 4-byte length then UTF-8.
 */
final class DaemonProtocol {
    static final int VERSION = 1;
    private static final byte[] MAGIC = "WSDAEMON".getBytes(StandardCharsets.US_ASCII);
    /** Far above any real request; a corrupt length must not make the daemon allocate gigabytes. */
    static final int MAX_BODY = 1 << 20;

    private DaemonProtocol() {
    }

    enum Verb { PUSH, FETCH }

    /**
     * @param workingDirectory the client's, so that relative paths (PostgreSQL's %p) mean the same to the daemon
     * @param arguments        PUSH: the WAL file's path; FETCH: the WAL file name and the destination path
     * @param settings         the client's storage-choosing settings (names and values, never credentials);
     *                         the daemon declines when they name another repository or codec than its own
     */
    record Request(Verb verb, String workingDirectory, List<String> arguments, Map<String, String> settings) {
        Request {
            arguments = List.copyOf(arguments);
            settings = Map.copyOf(settings);
            int expected = verb == Verb.PUSH ? 1 : 2;
            if (arguments.size() != expected) {
                throw new IllegalArgumentException(verb + " takes " + expected + " arguments, got " + arguments.size());
            }
        }
    }

    /** A response either carries the result, or declines the request, which the client then serves itself. */
    enum Kind { RESULT, DECLINED }

    /** @param message the line to print on stderr (may be empty); for DECLINED, why */
    record Response(Kind kind, int exitCode, String message) {
        static Response result(int exitCode, String message) {
            return new Response(Kind.RESULT, exitCode, message);
        }

        static Response declined(String why) {
            return new Response(Kind.DECLINED, -1, why);
        }
    }

    /** Thrown when the peer speaks another protocol version (or not this protocol at all). */
    static final class VersionMismatchException extends IOException {
        final int version;

        VersionMismatchException(int version, String message) {
            super(message);
            this.version = version;
        }
    }

    static void writeRequest(OutputStream out, Request request) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(256);
        DataOutputStream data = new DataOutputStream(body);
        writeString(data, request.verb().name());
        writeString(data, request.workingDirectory());
        data.writeShort(request.arguments().size());
        for (String argument : request.arguments()) {
            writeString(data, argument);
        }
        data.writeShort(request.settings().size());
        for (Map.Entry<String, String> setting : request.settings().entrySet()) {
            writeString(data, setting.getKey());
            writeString(data, setting.getValue());
        }
        writeFrame(out, VERSION, body.toByteArray());
    }

    static Request readRequest(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(new java.io.ByteArrayInputStream(readFrame(in)));
        String verbName = readString(data);
        Verb verb;
        try {
            verb = Verb.valueOf(verbName);
        } catch (IllegalArgumentException e) {
            throw new IOException("unknown verb " + verbName);
        }
        String workingDirectory = readString(data);
        List<String> arguments = new ArrayList<>();
        for (int i = data.readUnsignedShort(); i > 0; i--) {
            arguments.add(readString(data));
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = data.readUnsignedShort(); i > 0; i--) {
            settings.put(readString(data), readString(data));
        }
        try {
            return new Request(verb, workingDirectory, arguments, settings);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }

    static void writeResponse(OutputStream out, Response response) throws IOException {
        writeResponse(out, VERSION, response);
    }

    /** {@code version} other than {@link #VERSION} only to answer a client of another version in its terms. */
    static void writeResponse(OutputStream out, int version, Response response) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(128);
        DataOutputStream data = new DataOutputStream(body);
        data.writeByte(response.kind().ordinal());
        data.writeInt(response.exitCode());
        writeString(data, response.message());
        writeFrame(out, version, body.toByteArray());
    }

    static Response readResponse(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(new java.io.ByteArrayInputStream(readFrame(in)));
        int kind = data.readUnsignedByte();
        if (kind >= Kind.values().length) {
            throw new IOException("unknown response kind " + kind);
        }
        return new Response(Kind.values()[kind], data.readInt(), readString(data));
    }

    /** One write of the whole frame: one system call, and a peer that stops reading early cannot cut it short. */
    private static void writeFrame(OutputStream out, int version, byte[] body) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(MAGIC.length + 6 + body.length);
        DataOutputStream data = new DataOutputStream(frame);
        data.write(MAGIC);
        data.writeShort(version);
        data.writeInt(body.length);
        data.write(body);
        frame.writeTo(out);
        out.flush();
    }

    /** Reads one frame's body; a frame of another version raises {@link VersionMismatchException}. */
    private static byte[] readFrame(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] magic = new byte[MAGIC.length];
        data.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new VersionMismatchException(-1, "not a walstash daemon frame");
        }
        int version = data.readUnsignedShort();
        if (version != VERSION) {
            throw new VersionMismatchException(version, "protocol version " + version + " is not supported (this side speaks "
                    + VERSION + ")");
        }
        int length = data.readInt();
        if (length < 0 || length > MAX_BODY) {
            throw new IOException("frame of " + length + " bytes exceeds the limit of " + MAX_BODY);
        }
        byte[] body = new byte[length];
        data.readFully(body);
        return body;
    }

    private static void writeString(DataOutputStream data, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        data.writeInt(bytes.length);
        data.write(bytes);
    }

    private static String readString(DataInputStream data) throws IOException {
        int length = data.readInt();
        if (length < 0 || length > MAX_BODY) {
            throw new EOFException("string of " + length + " bytes in a frame");
        }
        byte[] bytes = new byte[length];
        data.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
