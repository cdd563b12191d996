/*
 * Encrypts standard input to standard output the way WAL-G's libsodium crypter does
 * (wal-g internal/crypto/libsodium/writer.go), with libsodium itself: the 24-byte
 * crypto_secretstream_xchacha20poly1305 header, then every full 8,192-byte chunk pushed as
 * it fills with tag MESSAGE, and at the end the rest (possibly nothing) pushed with tag FINAL.
 * The tests of walstash's pure-Java reader run against this, never only against their own writer.
 *
 *   walg-encrypt KEY_FILE [--no-final] [--rekey-at N] [--chunk BYTES]
 *
 * KEY_FILE holds the 32 key bytes (a file, so the key is on no command line).
 * --no-final    tags the last chunk MESSAGE: a stream that was cut at a chunk boundary
 * --rekey-at N  tags the N-th chunk (from 1) REKEY, which WAL-G never does but libsodium allows
 * --chunk BYTES another plaintext chunk size (the reader must then refuse the stream)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_all(const unsigned char *p, size_t n) {
    return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

int main(int argc, char **argv) {
    unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_state state;
    size_t chunk = 8192;
    long rekey_at = -1;
    int final = 1;
    const char *key_file = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-final") == 0) {
            final = 0;
        } else if (strcmp(argv[i], "--rekey-at") == 0 && i + 1 < argc) {
            rekey_at = atol(argv[++i]);
        } else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) {
            chunk = (size_t) atol(argv[++i]);
        } else {
            key_file = argv[i];
        }
    }
    if (key_file == NULL || chunk == 0 || sodium_init() < 0) {
        fprintf(stderr, "usage: walg-encrypt KEY_FILE [--no-final] [--rekey-at N] [--chunk BYTES]\n");
        return 2;
    }
    FILE *k = fopen(key_file, "rb");
    if (k == NULL || fread(key, 1, sizeof key, k) != sizeof key) {
        fprintf(stderr, "walg-encrypt: cannot read 32 key bytes from %s\n", key_file);
        return 2;
    }
    fclose(k);

    unsigned char *in = malloc(chunk);
    unsigned char *out = malloc(chunk + crypto_secretstream_xchacha20poly1305_ABYTES);
    if (in == NULL || out == NULL) {
        return 3;
    }
    crypto_secretstream_xchacha20poly1305_init_push(&state, header, key);
    if (write_all(header, sizeof header) != 0) {
        return 4;
    }
    size_t filled = 0;
    long pushed = 0;
    unsigned long long out_len;
    for (;;) {
        size_t n = fread(in + filled, 1, chunk - filled, stdin);
        filled += n;
        if (filled == chunk) {
            /* as WAL-G: a full chunk goes out at once, even when it turns out to be the last data */
            pushed++;
            unsigned char tag = pushed == rekey_at ? crypto_secretstream_xchacha20poly1305_TAG_REKEY
                                                   : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
            crypto_secretstream_xchacha20poly1305_push(&state, out, &out_len, in, filled, NULL, 0, tag);
            if (write_all(out, (size_t) out_len) != 0) {
                return 4;
            }
            filled = 0;
        } else if (n == 0) {
            break;
        }
    }
    if (ferror(stdin)) {
        return 4;
    }
    unsigned char tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                              : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    crypto_secretstream_xchacha20poly1305_push(&state, out, &out_len, in, filled, NULL, 0, tag);
    if (write_all(out, (size_t) out_len) != 0 || fflush(stdout) != 0) {
        return 4;
    }
    sodium_memzero(key, sizeof key);
    return 0;
}
