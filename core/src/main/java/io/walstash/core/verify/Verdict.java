package io.walstash.core.verify;

import java.util.List;

/** Whether the archived WAL can restore the newest backup to the end of the archive. */
public sealed interface Verdict permits Verdict.Ok, Verdict.LateOnly, Verdict.Broken {

    /** {@code OK}, {@code LATE_ONLY} or {@code BROKEN}. */
    String status();

    /** Every segment the newest backup needs up to the end of the archive is stored. */
    record Ok() implements Verdict {
        @Override
        public String status() {
            return "OK";
        }
    }

    /**
     * Only segments that newer ones overtook moments ago are missing: archiving (or a parallel
     * look-ahead push) is still under way, so the chain is expected to close by itself.
     */
    record LateOnly(long lateSegments) implements Verdict {
        @Override
        public String status() {
            return "LATE_ONLY";
        }
    }

    /** The chain cannot restore the newest backup to the end of the archive, for these reasons. */
    record Broken(List<String> reasons) implements Verdict {
        public Broken {
            reasons = List.copyOf(reasons);
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a broken chain needs a reason");
            }
        }

        @Override
        public String status() {
            return "BROKEN";
        }
    }
}
