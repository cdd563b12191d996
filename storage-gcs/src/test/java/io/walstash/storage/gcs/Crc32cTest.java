package io.walstash.storage.gcs;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Crc32cTest {
    @Test
    void knownValuesInGcsForm() {
        // CRC-32C check value of "123456789" is 0xE3069283 (RFC 3720, B.4); GCS gives the bytes in base64.
        assertThat(Crc32c.of("123456789".getBytes(US_ASCII))).isEqualTo("4waSgw==");
        assertThat(Crc32c.of(new byte[0])).isEqualTo("AAAAAA==");
        assertThat(Crc32c.base64(0xE3069283)).isEqualTo("4waSgw==");
    }
}
