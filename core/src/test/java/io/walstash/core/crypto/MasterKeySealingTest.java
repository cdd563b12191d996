package io.walstash.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.CorruptObjectException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MasterKeySealingTest {
    private static final String NAME = "spool/000000010000000000000003";
    private final MasterKey master = MasterKey.generate();
    private final MasterKeySealing sealing = MasterKeySealing.under(master);

    private static byte[] data(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    private static byte[] seal(MasterKeySealing sealing, byte[] plain, String name) throws IOException {
        try (InputStream in = sealing.sealing(new ByteArrayInputStream(plain), name)) {
            return in.readAllBytes();
        }
    }

    private static byte[] unseal(MasterKeySealing sealing, byte[] stored, String name) throws IOException {
        try (InputStream in = sealing.unsealing(new ByteArrayInputStream(stored), name, "spooled file x")) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, ObjectCipher.SEGMENT - 1, ObjectCipher.SEGMENT, 3 * ObjectCipher.SEGMENT + 7})
    void roundTripsAndNeedsTheSameMasterKeyDerivedAlike(int length) throws IOException {
        byte[] plain = data(length);
        byte[] sealed = seal(sealing, plain, NAME);
        assertThat(unseal(MasterKeySealing.under(MasterKey.parse(master.toBase64(), "again")), sealed, NAME)).isEqualTo(plain);
    }

    @Test
    void damageAnotherNameAClearFileOrAnotherMasterKeyIsRefused() throws IOException {
        byte[] plain = data(200_000);
        byte[] sealed = seal(sealing, plain, NAME);

        byte[] flipped = sealed.clone();
        flipped[100_000] ^= 0x40;
        assertThatThrownBy(() -> unseal(sealing, flipped, NAME)).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("spooled file x");
        assertThatThrownBy(() -> unseal(sealing, Arrays.copyOf(sealed, sealed.length - 1), NAME))
                .isInstanceOf(CorruptObjectException.class);
        assertThatThrownBy(() -> unseal(sealing, Arrays.copyOf(sealed, 10), NAME))
                .isInstanceOf(CorruptObjectException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> unseal(sealing, sealed, "spool/000000010000000000000004"))
                .isInstanceOf(CorruptObjectException.class);
        assertThatThrownBy(() -> unseal(sealing, plain, NAME)).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("is not sealed");
        assertThatThrownBy(() -> unseal(MasterKeySealing.under(MasterKey.generate()), sealed, NAME))
                .isInstanceOf(EncryptionKeyException.class).hasMessageContaining("another master key");
        assertThatThrownBy(() -> unseal(MasterKeySealing.withoutKey(), sealed, NAME))
                .isInstanceOf(EncryptionKeyException.class).hasMessageContaining("no master key is configured");
    }

    @Test
    void withoutAKeyFilesAreKeptAsTheyAre() throws IOException {
        byte[] plain = data(1000);
        assertThat(MasterKeySealing.withoutKey().active()).isFalse();
        assertThat(seal(MasterKeySealing.withoutKey(), plain, NAME)).isEqualTo(plain);
        assertThat(unseal(MasterKeySealing.withoutKey(), plain, NAME)).isEqualTo(plain);
    }
}
