package io.walstash.core.backup;

import java.util.Objects;

/**
 * A restore input (a recovery target part, a tablespace mapping) is wrong. It names the input by
 * its role, not by how a front end spells it, so that the CLI can word its own flag: the message
 * is {@code input.noun() + " " + detail}.
 */
public final class RestoreInputException extends IllegalArgumentException {
    /** Which input is wrong. */
    public enum Input {
        TARGET_ACTION("recovery target action"),
        TARGET_TIMELINE("recovery target timeline"),
        TARGET_XID("recovery target transaction id"),
        TARGET_TIME("recovery target time"),
        TABLESPACE_MAP("tablespace mapping");

        private final String noun;

        Input(String noun) {
            this.noun = noun;
        }

        public String noun() {
            return noun;
        }
    }

    private final Input input;
    private final String detail;

    public RestoreInputException(Input input, String detail) {
        super(input.noun() + " " + detail);
        this.input = Objects.requireNonNull(input);
        this.detail = Objects.requireNonNull(detail);
    }

    public Input input() {
        return input;
    }

    /** What is wrong with it, without naming the input. */
    public String detail() {
        return detail;
    }
}
