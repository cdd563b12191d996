package io.walstash.core.wal;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * A log sequence number: a byte position in the WAL, PostgreSQL's {@code XLogRecPtr} and
 * {@code pg_lsn}. The value is an unsigned 64-bit number held in a {@code long}; positions past
 * {@code 7FFFFFFF/FFFFFFFF} are negative as Java sees them but compare and print as PostgreSQL
 * does.
 */
public record Lsn(long value) implements Comparable<Lsn> {
    /** PostgreSQL's {@code InvalidXLogRecPtr}: no position. */
    public static final Lsn INVALID = new Lsn(0);

    // PostgreSQL's pg_lsn_in allows at most 8 hex digits on either side of the slash.
    private static final int MAX_HALF_DIGITS = 8;

    public static Lsn of(long value) {
        return value == 0 ? INVALID : new Lsn(value);
    }

    /**
     * Parses PostgreSQL's text form {@code X/Y}: two hex numbers of one to eight digits (either
     * case, as {@code pg_lsn} accepts), the high and low 32 bits. Nothing else is allowed, not even
     * surrounding white space.
     */
    public static Lsn parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw malformed(text, "no '/' between the high and low halves");
        }
        int highDigits = slash;
        int lowDigits = text.length() - slash - 1;
        if (highDigits < 1 || highDigits > MAX_HALF_DIGITS || lowDigits < 1 || lowDigits > MAX_HALF_DIGITS) {
            throw malformed(text, "each half must have 1 to 8 hex digits");
        }
        for (int i = 0; i < text.length(); i++) {
            // HexFormat.isHexDigit accepts only ASCII; Character.digit would also take e.g. full-width digits
            if (i != slash && !HexFormat.isHexDigit(text.charAt(i))) {
                throw malformed(text, "'" + text.charAt(i) + "' at index " + i + " is not a hex digit");
            }
        }
        long high = HexFormat.fromHexDigitsToLong(text, 0, slash);
        long low = HexFormat.fromHexDigitsToLong(text, slash + 1, text.length());
        return of(high << 32 | low);
    }

    /**
     * The position {@code bytes} further on.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     * @throws ArithmeticException if the result would pass {@code FFFFFFFF/FFFFFFFF}
     */
    public Lsn plus(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot add a negative byte count " + bytes + " to LSN " + this);
        }
        long sum = value + bytes;
        if (Long.compareUnsigned(sum, value) < 0) {
            throw new ArithmeticException("LSN " + this + " + " + bytes + " overflows 64 bits");
        }
        return of(sum);
    }

    /**
     * The number of bytes from {@code other} to this position.
     *
     * @throws ArithmeticException if {@code other} is after this position, or the distance does not
     *     fit in a (signed) {@code long}
     */
    public long minus(Lsn other) {
        Objects.requireNonNull(other, "other");
        if (compareTo(other) < 0) {
            throw new ArithmeticException("LSN " + other + " is after " + this);
        }
        long difference = value - other.value;
        if (difference < 0) {
            // callers treat the result as a byte count; a silently negative one would be worse than failing
            throw new ArithmeticException("distance from " + other + " to " + this + " does not fit in a long");
        }
        return difference;
    }

    /** The number of the segment that holds this position ({@code XLByteToSeg}). */
    public long segmentNumber(WalSegmentSize size) {
        return Long.divideUnsigned(value, size.bytes());
    }

    /** This position's byte offset within its segment ({@code XLogSegmentOffset}). */
    public long offsetInSegment(WalSegmentSize size) {
        // segment sizes are powers of two
        return value & (size.bytes() - 1);
    }

    /** Whether this is a real position, not {@link #INVALID}. */
    public boolean isValid() {
        return value != 0;
    }

    /** Unsigned: {@code FFFFFFFF/0} is after {@code 7FFFFFFF/0}. */
    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    /** As PostgreSQL prints it ({@code %X/%X}), e.g. {@code 16/B374D848}. */
    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase(Locale.ROOT)
                + '/'
                + Long.toHexString(value & 0xFFFF_FFFFL).toUpperCase(Locale.ROOT);
    }

    private static IllegalArgumentException malformed(String text, String reason) {
        return new IllegalArgumentException("malformed LSN '" + text + "': " + reason + " (expected e.g. 16/B374D848)");
    }
}
