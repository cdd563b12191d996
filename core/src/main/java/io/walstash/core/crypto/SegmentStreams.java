package io.walstash.core.crypto;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.StreamSegmentDecrypter;
import com.google.crypto.tink.subtle.StreamSegmentEncrypter;
import io.walstash.core.io.BlockInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tink's AES-GCM-HKDF streaming ciphertext, written and read one segment at a time through Tink's
 * own segment encrypter and decrypter (the key derivation, nonces and AES-GCM stay Tink's), with
 * the two segment buffers of a stream taken from a small pool rather than allocated for each.
 *
 * <p>Why: Tink's streams allocate two buffers of a segment each (64 KiB) per stream, and walstash
 * opens a stream per stored object, a thousand in a backup of a small cluster. Zeroing them, the
 * page faults of the fresh heap they take and the collections they cause cost an encrypted
 * scale-20 backup or restore about 5 % of its time (interleaved runs, README: Encryption at rest).
 *
 * <p>A stream's reads, writes and close hold its lock, as Tink's streams' do: a close from another
 * thread (an abandoned download) waits for a read in progress, so a buffer goes back to the pool
 * only when nothing of its stream can touch it any more.
 *
 * <p>The framing is Tink's and only Tink's segment calls touch the bytes: the header; a first
 * segment shorter by the header; a 16-byte tag per segment; the last segment encrypted as the last,
 * so a stream cut at a segment boundary fails. A segment is known to be the last when no byte
 * follows it (one byte is read ahead), and a full segment is written as the last one only at
 * close. {@code SegmentStreamsPropertiesTest} checks that these streams and Tink's read each
 * other's output for sizes on and around the segment boundaries.
 */
final class SegmentStreams {
    /** Buffer pairs kept for reuse: one per thread that encrypts or decrypts at once, and some spare. */
    private static final int POOLED = 16;
    private static final ConcurrentLinkedQueue<Buffers> POOL = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger POOL_SIZE = new AtomicInteger();

    private SegmentStreams() {
    }

    /** Bytes written to it are encrypted into {@code out}; closing it writes the last segment and closes {@code out}. */
    static OutputStream encrypting(AesGcmHkdfStreaming aead, OutputStream out, byte[] associatedData)
            throws GeneralSecurityException, IOException {
        return new Encrypting(aead, out, associatedData);
    }

    /** The plain bytes of the ciphertext {@code in} reads; a segment that fails authentication fails the read. */
    static InputStream decrypting(AesGcmHkdfStreaming aead, InputStream in, byte[] associatedData)
            throws GeneralSecurityException {
        return new Decrypting(aead, in, associatedData);
    }

    /** A plaintext and a ciphertext segment buffer (the ciphertext one a byte longer, for the look-ahead). */
    private record Buffers(ByteBuffer plain, ByteBuffer cipher) {
        static Buffers take(AesGcmHkdfStreaming aead) {
            int plain = aead.getPlaintextSegmentSize();
            int cipher = aead.getCiphertextSegmentSize() + 1;
            Buffers pooled = POOL.poll();
            if (pooled != null) {
                POOL_SIZE.decrementAndGet();
                if (pooled.plain.capacity() == plain && pooled.cipher.capacity() == cipher) {
                    return pooled;
                }
            }
            return new Buffers(ByteBuffer.allocate(plain), ByteBuffer.allocate(cipher));
        }

        void giveBack() {
            if (POOL_SIZE.incrementAndGet() <= POOLED) {
                POOL.offer(this);
            } else {
                POOL_SIZE.decrementAndGet();
            }
        }
    }

    private static final class Encrypting extends OutputStream {
        private final OutputStream out;
        private final StreamSegmentEncrypter encrypter;
        private final int segment;
        private Buffers buffers; // null once closed

        Encrypting(AesGcmHkdfStreaming aead, OutputStream out, byte[] associatedData)
                throws GeneralSecurityException, IOException {
            this.out = out;
            this.encrypter = aead.newStreamSegmentEncrypter(associatedData);
            this.segment = aead.getPlaintextSegmentSize();
            ByteBuffer header = encrypter.getHeader();
            byte[] headerBytes = new byte[header.remaining()];
            header.get(headerBytes);
            out.write(headerBytes);
            this.buffers = Buffers.take(aead);
            buffers.plain.clear().limit(segment - aead.getCiphertextOffset());
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (buffers == null) {
                throw new IOException("encrypting stream is closed");
            }
            ByteBuffer plain = buffers.plain;
            while (len > 0) {
                if (!plain.hasRemaining()) { // a full segment with more to come: not the last one
                    encryptSegment(false);
                    plain.clear().limit(segment);
                }
                int n = Math.min(len, plain.remaining());
                plain.put(b, off, n);
                off += n;
                len -= n;
            }
        }

        private void encryptSegment(boolean last) throws IOException {
            ByteBuffer plain = buffers.plain.flip();
            ByteBuffer cipher = buffers.cipher.clear();
            try {
                encrypter.encryptSegment(plain, last, cipher);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot encrypt: " + e.getMessage(), e);
            }
            cipher.flip();
            out.write(cipher.array(), cipher.arrayOffset() + cipher.position(), cipher.remaining());
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public synchronized void close() throws IOException {
            if (buffers == null) {
                return;
            }
            try {
                encryptSegment(true);
                out.close();
            } finally {
                Buffers done = buffers;
                buffers = null;
                done.giveBack();
            }
        }
    }

    private static final class Decrypting extends BlockInputStream {
        private final InputStream in;
        private final StreamSegmentDecrypter decrypter;
        private final byte[] associatedData;
        private final int headerLength;
        private final int firstSegment;
        private final int segment;
        private Buffers buffers; // null once closed
        private boolean headerRead;
        private boolean lastDecrypted;
        private boolean failed;
        private int segmentNumber;

        Decrypting(AesGcmHkdfStreaming aead, InputStream in, byte[] associatedData) throws GeneralSecurityException {
            this.in = in;
            this.decrypter = aead.newStreamSegmentDecrypter();
            this.associatedData = associatedData.clone();
            this.headerLength = aead.getHeaderLength();
            this.segment = aead.getCiphertextSegmentSize();
            this.firstSegment = segment - aead.getCiphertextOffset();
            this.buffers = Buffers.take(aead);
            buffers.plain.clear().limit(0);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (buffers == null) {
                throw new IOException("decrypting stream is closed");
            }
            if (failed) {
                throw new IOException("decryption failed earlier in this stream");
            }
            if (len == 0) {
                return 0;
            }
            if (!headerRead) {
                readHeader();
            }
            ByteBuffer plain = buffers.plain;
            while (!plain.hasRemaining()) {
                if (lastDecrypted) {
                    return -1;
                }
                decryptSegment();
            }
            int n = Math.min(len, plain.remaining());
            plain.get(b, off, n);
            return n;
        }

        private void readHeader() throws IOException {
            byte[] header = in.readNBytes(headerLength);
            if (header.length < headerLength) {
                failed = true;
                throw new IOException("ciphertext is too short: " + header.length + " bytes of a "
                        + headerLength + "-byte header");
            }
            try {
                decrypter.init(ByteBuffer.wrap(header), associatedData);
            } catch (GeneralSecurityException e) {
                failed = true;
                throw new IOException(e.getMessage(), e);
            }
            headerRead = true;
            buffers.cipher.clear().limit(firstSegment + 1);
        }

        /** Reads the next segment and one byte more (which tells whether it is the last) and decrypts it. */
        private void decryptSegment() throws IOException {
            ByteBuffer cipher = buffers.cipher;
            boolean end = false;
            while (cipher.hasRemaining()) {
                int n = in.read(cipher.array(), cipher.arrayOffset() + cipher.position(), cipher.remaining());
                if (n < 0) {
                    end = true;
                    break;
                }
                if (n == 0) {
                    throw new IOException("the ciphertext stream read no bytes");
                }
                cipher.position(cipher.position() + n);
            }
            byte next = 0;
            if (!end) {
                next = cipher.get(cipher.position() - 1);
                cipher.position(cipher.position() - 1);
            }
            cipher.flip();
            ByteBuffer plain = buffers.plain.clear();
            try {
                decrypter.decryptSegment(cipher, segmentNumber, end, plain);
            } catch (GeneralSecurityException e) {
                failed = true;
                plain.limit(0);
                throw new IOException(e.getMessage() + " (segment " + segmentNumber + (end ? ", the last" : "") + ")", e);
            }
            segmentNumber++;
            plain.flip();
            cipher.clear();
            if (end) {
                lastDecrypted = true;
            } else {
                cipher.limit(segment + 1);
                cipher.put(next);
            }
        }

        @Override
        public synchronized int available() {
            return buffers == null ? 0 : buffers.plain.remaining();
        }

        @Override
        public synchronized void close() throws IOException {
            if (buffers == null) {
                return;
            }
            Buffers done = buffers;
            buffers = null;
            done.giveBack();
            in.close();
        }
    }
}
