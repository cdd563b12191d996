package io.walstash.core.wal;

import java.util.HexFormat;

/** What the file-name records share: upper-case hex fields and one error message shape. */
final class WalNames {
    static final long MAX_UINT32 = 0xFFFF_FFFFL;

    private static final HexFormat UPPER_HEX = HexFormat.of().withUpperCase();

    private WalNames() {
    }

    /** Eight upper-case hex digits, as PostgreSQL's {@code %08X} prints a uint32. */
    static String hex8(long uint32) {
        return UPPER_HEX.toHexDigits((int) uint32);
    }

    /**
     * Reads the eight hex digits of {@code name} from {@code from}. Only upper case, as
     * PostgreSQL's {@code strspn(fname, "0123456789ABCDEF")} checks: {@code 0000000a…} is not a
     * name PostgreSQL would write or archive.
     */
    static long hex8At(String name, int from) {
        for (int i = from; i < from + 8; i++) {
            char c = name.charAt(i);
            if (c >= 'a' && c <= 'f') {
                throw malformed(name, "hex digits must be upper-case");
            }
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'F')) {
                throw malformed(name, "'" + c + "' at index " + i + " is not a hex digit");
            }
        }
        return HexFormat.fromHexDigitsToLong(name, from, from + 8);
    }

    static void requireBareName(String name) {
        if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
            throw malformed(name, "expected a bare file name, not a path");
        }
    }

    static IllegalArgumentException malformed(String name, String reason) {
        return new IllegalArgumentException("malformed WAL file name '" + name + "': " + reason);
    }

    static long requireTimeline(long timeline) {
        if (timeline == 0) {
            throw new IllegalArgumentException("timeline 0 does not exist; timelines start at 1");
        }
        if (timeline < 0 || timeline > MAX_UINT32) {
            throw new IllegalArgumentException("timeline " + timeline + " is out of range 1.." + MAX_UINT32);
        }
        return timeline;
    }

    static long requireUint32(long value, String what) {
        if (value < 0 || value > MAX_UINT32) {
            throw new IllegalArgumentException(what + " " + value + " is out of range 0.." + MAX_UINT32);
        }
        return value;
    }
}
