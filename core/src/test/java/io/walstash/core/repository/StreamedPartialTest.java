package io.walstash.core.repository;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.wal.SegmentFileName;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class StreamedPartialTest {
    @Property
    void aKeyReadsBackAsThePartialItNames(@ForAll @LongRange(min = 1, max = 0xFFFFFFFFL) long timeline,
                                          @ForAll @LongRange(min = 0, max = 0xFFFF) long log,
                                          @ForAll @IntRange(min = 0, max = 255) int segment,
                                          @ForAll @IntRange(min = 1, max = 1 << 30) int length) {
        SegmentFileName name = new SegmentFileName(timeline, log, segment);
        String key = StreamedPartial.key(name, length, new DeflateTestCodec());

        StreamedPartial read = StreamedPartial.parse(key).orElseThrow();

        assertThat(read).isEqualTo(new StreamedPartial(key, name, length, new DeflateTestCodec().fileExtension()));
        assertThat(key).startsWith(StreamedPartial.folder(name)).doesNotStartWith("wal/");
        assertThat(WalKey.parse(key)).as("no WAL folder reading sees a partial").isEmpty();
    }

    @Test
    void otherKeysAreNoPartials() {
        for (String key : new String[] {"stream/000000010000000000000003/0000000A", "stream/000000010000000000000003/00000000.zst",
                "stream/000000010000000000000003/0000000g.zst", "stream/00000001000000000000003/0000000A.zst",
                "stream/000000010000000000000003.partial/0000000A.zst", "wal/000000010000000000000003.zst",
                "stream/000000010000000000000003/41000000.zst", "stream/000000010000000000000003/x/0000000A.zst"}) {
            assertThat(StreamedPartial.parse(key)).as(key).isEmpty();
        }
        assertThat(StreamedPartial.parse("stream/000000010000000000000003/0000000A.zst")).isPresent();
    }
}
