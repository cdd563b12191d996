package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

class ObjectHeaderTest {
    @Property
    void headerRoundTripsAndLeavesThePayload(@ForAll @LongRange(min = 0) long length, @ForAll @Size(32) byte[] digest,
                                            @ForAll @Size(max = 100) byte[] payload) throws IOException {
        ObjectHeader header = new ObjectHeader(length, digest);
        byte[] bytes = concat(header.toBytes(), payload);
        InputStream in = new BufferedInputStream(new ByteArrayInputStream(bytes));

        assertThat(ObjectHeader.readFrom(in)).hasValue(header);
        assertThat(in.readAllBytes()).isEqualTo(payload);
    }

    @Property
    void streamsWithoutTheMagicAreLeftWhole(@ForAll @Size(max = 100) byte[] payload) throws IOException {
        if (payload.length >= 8 && new String(payload, 0, 8, java.nio.charset.StandardCharsets.US_ASCII).equals("WALSTASH")) {
            return;
        }
        InputStream in = new BufferedInputStream(new ByteArrayInputStream(payload));
        assertThat(ObjectHeader.readFrom(in)).isEmpty();
        assertThat(in.readAllBytes()).isEqualTo(payload);
    }

    @Property(tries = 50)
    void unknownVersionsAreRefusedWithAdvice(@ForAll @Size(32) byte[] digest) {
        byte[] bytes = new ObjectHeader(1, digest).toBytes();
        bytes[8] = 9;
        assertThatThrownBy(() -> ObjectHeader.parse(bytes)).isInstanceOf(IOException.class).hasMessageContaining("upgrade walstash");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
