package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PageChecksumTest {

    private static byte[] page(long seed) {
        byte[] page = new byte[8192];
        new java.util.Random(seed).nextBytes(page);
        page[PageChecksum.UPPER_OFFSET] = 0x20; // an initialised page
        return page;
    }

    private static void stamp(byte[] page, long block) {
        int sum = PageChecksum.compute(page, 0, page.length, block);
        page[PageChecksum.CHECKSUM_OFFSET] = (byte) sum;
        page[PageChecksum.CHECKSUM_OFFSET + 1] = (byte) (sum >>> 8);
    }

    // A 16-bit checksum misses about one change in 65536; a fixed seed keeps this from flaking.
    @Property(seed = "20261124", tries = 300)
    void aStampedPageVerifiesAndAFlippedBitDoesNot(@ForAll long seed, @ForAll @IntRange(min = 0, max = 8191) int position,
                                                   @ForAll @IntRange(min = 0, max = 7) int bit) {
        byte[] page = page(seed);
        stamp(page, 7);
        assertThat(PageChecksum.verify(page, 0, page.length, 7)).isTrue();
        if (position == PageChecksum.CHECKSUM_OFFSET || position == PageChecksum.CHECKSUM_OFFSET + 1) {
            return; // flipping the checksum itself is caught too, but may collide by chance
        }
        page[position] ^= (byte) (1 << bit);
        assertThat(PageChecksum.verify(page, 0, page.length, 7)).isFalse();
    }

    @Test
    void theBlockNumberIsPartOfTheChecksum() {
        byte[] page = page(1);
        stamp(page, 0);
        assertThat(PageChecksum.verify(page, 0, page.length, 0)).isTrue();
        assertThat(PageChecksum.verify(page, 0, page.length, 1)).isFalse();
    }

    @Test
    void newPagesMustBeAllZeros() {
        byte[] page = new byte[8192];
        assertThat(PageChecksum.verify(page, 0, page.length, 3)).isTrue();
        page[100] = 1;
        assertThat(PageChecksum.verify(page, 0, page.length, 3)).isFalse();
    }

    @Test
    void readsThePageLsnAsTwoLittleEndianWords() {
        byte[] page = new byte[8192];
        page[0] = 0x01; // xlogid = 1
        page[4] = 0x28; // xrecoff = 0x28
        assertThat(PageChecksum.pageLsn(page, 0)).isEqualTo(0x1_0000_0028L);
    }

    @Test
    void knowsRelationFilesAndTheirFirstBlocks() {
        assertThat(DataDirectoryFiles.isRelationFile("base/5/16384")).isTrue();
        assertThat(DataDirectoryFiles.isRelationFile("base/5/16384_fsm")).isTrue();
        assertThat(DataDirectoryFiles.isRelationFile("global/1262.1")).isTrue();
        assertThat(DataDirectoryFiles.isRelationFile("pg_tblspc/16385/PG_15_202209061/5/16386")).isTrue();
        assertThat(DataDirectoryFiles.isRelationFile("global/pg_control")).isFalse();
        assertThat(DataDirectoryFiles.isRelationFile("base/5/PG_VERSION")).isFalse();
        assertThat(DataDirectoryFiles.isRelationFile("pg_xact/0000")).isFalse();
        assertThat(DataDirectoryFiles.firstBlock("base/5/16384.2", 8192)).isEqualTo(2 * 131072L);
    }
}
