package io.walstash.core.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.OptionalInt;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;

class RepositoryMarkerPropertiesTest {
    @Property
    void markerRoundTrips(@ForAll long systemIdentifier, @ForAll @IntRange(min = 20, max = 30) int segmentShift,
                          @ForAll @IntRange(min = 0, max = 19) int major, @ForAll @LongRange(min = 0, max = 4_000_000_000L) long seconds,
                          @ForAll @StringLength(max = 40) String writer) throws IOException {
        RepositoryMarker marker = new RepositoryMarker(RepositoryMarker.LAYOUT_VERSION, systemIdentifier, 1 << segmentShift,
                major < 12 ? OptionalInt.empty() : OptionalInt.of(major), Instant.ofEpochSecond(seconds),
                writer.replace('\n', ' ').replace('\r', ' ').strip());
        RepositoryMarker read = RepositoryMarker.parse(marker.toBytes());
        assertThat(read.systemIdentifier()).isEqualTo(systemIdentifier);
        assertThat(read.walSegmentSize()).isEqualTo(1 << segmentShift);
        assertThat(read.postgresMajorVersion()).isEqualTo(marker.postgresMajorVersion());
        assertThat(read.createdAt()).isEqualTo(marker.createdAt());
    }

    @Property(tries = 100)
    void markerMissingAFieldIsRefusedNamingIt(@ForAll long systemIdentifier) {
        String text = "layout_version=1\nwal_segment_size=16777216\ncreated_at=2026-11-24T00:00:00Z\n";
        assertThatThrownBy(() -> RepositoryMarker.parse(text.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("system_identifier");
    }
}
