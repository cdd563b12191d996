/*
 * walstash-client: the daemon client of docs/daemon-protocol.md, in C, so that archive_command and
 * restore_command served by `walstash daemon` do not pay for a JVM start on every WAL file. It
 * does what io.walstash.cli.daemon.DaemonClient does (that class stays the reference, and the fallback
 * where no C compiler built this file): it takes only `wal-push PATH` and `wal-fetch NAME DEST`
 * with --daemon-socket and --config, sends one request, and when the daemon answers prints the
 * answer's message on stderr and its exit code on stdout. It prints nothing on stdout whenever the
 * daemon gives no answer; the launcher then runs the full command line, which serves the request
 * itself. Without a configured socket it asks the auto daemon of this configuration and starts it
 * when none answers (io.walstash.cli.daemon.AutoDaemon: same settings, same digest, same socket path).
 * A socket named only in the config file is left to the JVM (exit status 3: the JVM reads config
 * files).
 */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define VERSION 1
#define MAX_BODY (1 << 20)
static const char MAGIC[8] = {'W', 'S', 'D', 'A', 'E', 'M', 'O', 'N'};
#define SOCKET_OPTION "--daemon-socket"
#define CONFIG_OPTION "--config"

static int debug_enabled;

static void debug(const char *what, const char *detail) {
    if (debug_enabled) {
        fprintf(stderr, "walstash: debug: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    }
}

/* A growing byte buffer; on allocation failure `failed` is set and further puts do nothing. */
struct buf {
    unsigned char *data;
    size_t len, cap;
    int failed;
};

static void put(struct buf *b, const void *bytes, size_t n) {
    if (b->failed) {
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) {
            cap *= 2;
        }
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void put_u16(struct buf *b, unsigned v) {
    unsigned char x[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 2);
}

static void put_u32(struct buf *b, uint32_t v) {
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 4);
}

static void put_str(struct buf *b, const char *s, size_t n) {
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

/* Java's String.strip() for the ASCII whitespace a setting may carry; NULL when blank. */
static const char *strip(const char *s, size_t *n) {
    if (!s) {
        return NULL;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v') {
        s++;
    }
    size_t len = strlen(s);
    while (len > 0 && strchr(" \t\n\r\f\v", s[len - 1])) {
        len--;
    }
    *n = len;
    return len ? s : NULL;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 0 when all n bytes were read; -1 on an error or an end of stream first. */
static int read_all(int fd, unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static uint32_t get_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* SHA-256 (FIPS 180-4), for the configuration digest that names the auto daemon's socket. */
struct sha256 {
    uint32_t h[8];
    unsigned char block[64];
    size_t used;
    uint64_t bits;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *c, const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) | p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = cc;
        cc = b;
        b = a;
        a = t1 + t2;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
    c->h[5] += f;
    c->h[6] += g;
    c->h[7] += h;
}

static void sha256_init(struct sha256 *c) {
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, H0, sizeof H0);
    c->used = 0;
    c->bits = 0;
}

static void sha256_update(struct sha256 *c, const void *data, size_t n) {
    const unsigned char *p = data;
    c->bits += (uint64_t)n * 8;
    while (n > 0) {
        size_t take = 64 - c->used < n ? 64 - c->used : n;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        n -= take;
        if (c->used == 64) {
            sha256_block(c, c->block);
            c->used = 0;
        }
    }
}

/* Finishes into 64 lowercase hex digits and a NUL. */
static void sha256_hex(struct sha256 *c, char out[65]) {
    uint64_t bits = c->bits;
    unsigned char pad = 0x80, zero = 0, length[8];
    sha256_update(c, &pad, 1);
    while (c->used != 56) {
        sha256_update(c, &zero, 1);
    }
    for (int i = 0; i < 8; i++) {
        length[i] = (unsigned char)(bits >> (56 - 8 * i));
    }
    sha256_update(c, length, 8);
    for (int i = 0; i < 8; i++) {
        snprintf(out + 8 * i, 9, "%08x", c->h[i]);
    }
}

/* The settings of the configuration (AutoDaemon.settings): relevant environment settings, secrets as their digest. */
static const char *const PREFIXES[] = {"WALSTASH_", "WALG_", "AWS_", "AZURE_", "GOOGLE_"};
static const char *const EXCLUDED[] = {"WALSTASH_DAEMON", "WALSTASH_DAEMON_IDLE", "WALSTASH_DAEMON_WAIT",
    "WALSTASH_DAEMON_SOCKET", "WALSTASH_LOG_LEVEL", "WALG_LOG_LEVEL", "WALSTASH_JAVA_OPTS", "WALSTASH_NATIVE_CLIENT",
    "WALSTASH_CDS", "WALSTASH_LAUNCHER", "WALSTASH_CONFIG", "WALSTASH_CONFIG_SHA256", "WALSTASH_PROGRESS_INTERVAL"};
/* Names outside the prefixes that count all the same: the seed's operation logs (AutoDaemon.ALSO). */
static const char *const ALSO[] = {"WAL_ARCHIVE_LOG", "WAL_RESTORE_LOG"};
static const char *const SECRET_PARTS[] = {"SECRET", "PASSWORD", "TOKEN", "KEY", "CREDENTIAL", "CONNECTION_STRING",
    "SAS", "SSE_C", "WEBHOOK"};

#define COUNT(a) (sizeof a / sizeof a[0])
#define MAX_SETTINGS 256

struct setting {
    char *name;
    char *value;
};

static int relevant(const char *name, size_t len) {
    for (size_t i = 0; i < COUNT(ALSO); i++) {
        if (strlen(ALSO[i]) == len && strncmp(name, ALSO[i], len) == 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < COUNT(PREFIXES); i++) {
        size_t p = strlen(PREFIXES[i]);
        if (len >= p && strncmp(name, PREFIXES[i], p) == 0) {
            for (size_t j = 0; j < COUNT(EXCLUDED); j++) {
                if (strlen(EXCLUDED[j]) == len && strncmp(name, EXCLUDED[j], len) == 0) {
                    return 0;
                }
            }
            return 1;
        }
    }
    return 0;
}

static char *copy(const char *s, size_t n) {
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* The value as it travels and is compared: a secret's only as "sha256:" and its digest. */
static char *wire(const char *name, const char *value, size_t n) {
    if (n >= 7 && strncmp(value, "sha256:", 7) == 0) {
        return copy(value, n);
    }
    for (size_t i = 0; i < COUNT(SECRET_PARTS); i++) {
        if (strstr(name, SECRET_PARTS[i])) {
            struct sha256 c;
            char hex[65], out[7 + 65];
            sha256_init(&c);
            sha256_update(&c, value, n);
            sha256_hex(&c, hex);
            snprintf(out, sizeof out, "sha256:%s", hex);
            return copy(out, strlen(out));
        }
    }
    return copy(value, n);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct setting *)a)->name, ((const struct setting *)b)->name);
}

/* Reads the environment's relevant settings into s (sorted by name); -1 when there are too many or memory ran out. */
static const char *const STORAGE_NAMES[] = {"WALSTASH_STORAGE", "WALG_S3_PREFIX", "WALG_GS_PREFIX", "WALG_AZ_PREFIX",
    "WALG_FILE_PREFIX"};
static const char *const COMPRESSION_NAMES[] = {"WALSTASH_COMPRESSION", "WALG_COMPRESSION_METHOD"};

static int named(const char *name, size_t len, const char *const *names, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (strlen(names[i]) == len && strncmp(name, names[i], len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Adds name=value (value stripped) to s; -1 when there are too many or memory ran out. */
static int add_setting(struct setting *s, unsigned *count, const char *name, size_t name_len, const char *value, size_t n) {
    if (*count >= MAX_SETTINGS - 2) {
        return -1;
    }
    s[*count].name = copy(name, name_len);
    s[*count].value = s[*count].name ? wire(s[*count].name, value, n) : NULL;
    if (!s[*count].value) {
        return -1;
    }
    (*count)++;
    return 0;
}

/*
 * Reads the environment's relevant settings into s, --storage and --compression (when given) in
 * place of the settings they override (AutoDaemon.withOptions); -1 when there are too many or
 * memory ran out.
 */
static int environment_settings(struct setting *s, unsigned *count, const char *storage, const char *compression) {
    size_t n = 0;
    const char *value = storage ? strip(storage, &n) : NULL;
    if (value && add_setting(s, count, STORAGE_NAMES[0], strlen(STORAGE_NAMES[0]), value, n) != 0) {
        return -1;
    }
    value = compression ? strip(compression, &n) : NULL;
    if (value && add_setting(s, count, COMPRESSION_NAMES[0], strlen(COMPRESSION_NAMES[0]), value, n) != 0) {
        return -1;
    }
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || !relevant(*e, (size_t)(eq - *e))) {
            continue;
        }
        if ((storage && named(*e, (size_t)(eq - *e), STORAGE_NAMES, COUNT(STORAGE_NAMES)))
                || (compression && named(*e, (size_t)(eq - *e), COMPRESSION_NAMES, COUNT(COMPRESSION_NAMES)))) {
            continue;
        }
        value = strip(eq + 1, &n);
        if (!value) {
            continue;
        }
        if (add_setting(s, count, *e, (size_t)(eq - *e), value, n) != 0) {
            return -1;
        }
    }
    return 0;
}

static void warn_alone(const char *why, const char *detail) {
    fprintf(stderr, "walstash: warning: daemon not used, working alone: %s%s\n", why, detail ? detail : "");
}

enum answer { SERVED, ABSENT, UNTRUSTED, FAILED };

/* Connects to the daemon at address and, once it proves to run as this user, sends the frame. */
static enum answer ask(const struct sockaddr_un *address, const struct buf *frame, int *code, char *why, size_t why_len) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(why, why_len, "%s", strerror(errno));
        return FAILED;
    }
    if (connect(fd, (const struct sockaddr *)address, sizeof *address) != 0) {
        snprintf(why, why_len, "%s: %s", address->sun_path, strerror(errno));
        close(fd);
        return ABSENT;
    }
    struct ucred peer;
    socklen_t peer_len = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0 || peer.uid != geteuid()) {
        snprintf(why, why_len, "the process answering on %s runs as uid %ld, not as this user (uid %ld); not trusting it",
                 address->sun_path, (long)peer.uid, (long)geteuid());
        close(fd);
        return UNTRUSTED;
    }
    if (write_all(fd, frame->data, frame->len) != 0) {
        snprintf(why, why_len, "%s", strerror(errno));
        close(fd);
        return FAILED;
    }
    unsigned char header[14];
    if (read_all(fd, header, sizeof header) != 0) {
        snprintf(why, why_len, "the daemon closed the connection without an answer");
        close(fd);
        return FAILED;
    }
    unsigned version = ((unsigned)header[8] << 8) | header[9];
    uint32_t length = get_u32(header + 10);
    if (memcmp(header, MAGIC, sizeof MAGIC) != 0 || version != VERSION || length > MAX_BODY || length < 9) {
        snprintf(why, why_len, "not a response of protocol version 1");
        close(fd);
        return FAILED;
    }
    unsigned char *response = malloc((size_t)length + 1); /* + 1: the message ends in a NUL */
    if (!response || read_all(fd, response, length) != 0) {
        snprintf(why, why_len, "the daemon closed the connection without an answer");
        close(fd);
        return FAILED;
    }
    close(fd);
    int32_t result = (int32_t)get_u32(response + 1);
    uint32_t message_len = get_u32(response + 5);
    if (message_len > length - 9) {
        snprintf(why, why_len, "malformed response");
        return FAILED;
    }
    response[9 + message_len] = '\0';
    if (response[0] != 0) {
        snprintf(why, why_len, "the daemon declined: %s", (char *)response + 9);
        return FAILED;
    }
    /* 0..255: walstash's codes are 0..125 plus 128, wal-fetch's "recovery stopped" (see ExitCode) */
    if (result < 0 || result > 255) {
        snprintf(why, why_len, "exit code out of range");
        return FAILED;
    }
    if (message_len > 0) {
        fwrite(response + 9, 1, message_len, stderr);
        fputc('\n', stderr);
        fflush(stderr);
    }
    *code = result;
    return SERVED;
}

/* Milliseconds of a duration as a duration setting reads it (120 = seconds, 1h30m, 500ms, 3s, 2min); -1 when malformed. */
static long long duration_ms(const char *text) {
    size_t n;
    const char *s = strip(text, &n);
    if (!s) {
        return -1;
    }
    long long total = 0;
    size_t i = 0;
    while (i < n) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        long long v = 0;
        int digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 12) {
            v = v * 10 + (s[i++] - '0');
            digits++;
        }
        if (i + 2 <= n && strncasecmp(s + i, "ms", 2) == 0) {
            total += v;
            i += 2;
            continue;
        }
        if (i + 3 <= n && strncasecmp(s + i, "min", 3) == 0) {
            total += v * 60000;
            i += 3;
            continue;
        }
        if (i >= n) {
            return digits == (int)n ? v * 1000 : -1; /* a bare number is seconds */
        }
        switch (s[i] | 0x20) {
            case 's': total += v * 1000; break;
            case 'm': total += v * 60000; break;
            case 'h': total += v * 3600000; break;
            case 'd': total += v * 86400000; break;
            case 'w': total += v * 604800000; break;
            default: return -1;
        }
        i++;
    }
    return total;
}

/* Starts `walstash daemon --auto` detached: its own session, stdio on /dev/null and the log, no other fd. */
static int start_daemon(const char *socket_path, const char *launcher, const char *const options[3]) {
    char marker[PATH_MAX], log[PATH_MAX];
    size_t base = strlen(socket_path) - strlen(".sock");
    snprintf(marker, sizeof marker, "%.*s.starting", (int)base, socket_path);
    snprintf(log, sizeof log, "%.*s.log", (int)base, socket_path);
    int claimed = 0;
    for (int attempt = 0; attempt < 2 && !claimed; attempt++) {
        int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            claimed = 1;
        } else if (errno == EEXIST) {
            struct stat st;
            if (lstat(marker, &st) == 0 && time(NULL) - st.st_mtime < 30) {
                return 0; /* another call is starting it */
            }
            unlink(marker);
        } else {
            return -1;
        }
    }
    if (!claimed) {
        return 0;
    }
    /* --config, --storage, --compression as the call had them: the daemon's configuration is the call's */
    static const char *const NAMES[3] = {"--config=", "--storage=", "--compression="};
    char *args[8];
    int a = 0;
    args[a++] = (char *)launcher;
    args[a++] = "daemon";
    args[a++] = "--auto";
    for (int o = 0; o < 3; o++) {
        if (options[o]) {
            size_t len = strlen(NAMES[o]) + strlen(options[o]) + 1;
            char *argument = malloc(len);
            if (!argument) {
                unlink(marker);
                return -1;
            }
            snprintf(argument, len, "%s%s", NAMES[o], options[o]);
            args[a++] = argument;
        }
    }
    args[a] = NULL;
    pid_t child = fork();
    if (child < 0) {
        unlink(marker);
        return -1;
    }
    if (child == 0) {
        /* Its own session: PostgreSQL signals its archiver's process group, never this daemon. */
        setsid();
        if (fork() != 0) {
            _exit(0); /* the daemon is reparented; the caller reaps this one at once */
        }
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
            unlink(marker);
            _exit(127);
        }
        /* No pipe of PostgreSQL's (its logger waits for every writer to close) may stay open. */
        long max = sysconf(_SC_OPEN_MAX);
        for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++) {
            close(fd);
        }
        execv(launcher, args);
        unlink(marker);
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return 1;
}

int main(int argc, char **argv) {
    const char *level = getenv("WALSTASH_LOG_LEVEL");
    size_t n;
    if (!strip(level, &n)) {
        level = getenv("WALG_LOG_LEVEL");
    }
    const char *l = strip(level, &n);
    debug_enabled = l && n == 5 && strncasecmp(l, "debug", 5) == 0;

    /* The command line the fast path takes, exactly as DaemonClient.parse. */
    if (argc < 2) {
        return 0;
    }
    const char *verb;
    int expected;
    if (strcmp(argv[1], "wal-push") == 0) {
        verb = "PUSH";
        expected = 1;
    } else if (strcmp(argv[1], "wal-fetch") == 0) {
        verb = "FETCH";
        expected = 2;
    } else {
        return 0;
    }
    const char *positional[2];
    int count = 0;
    /* --daemon-socket, --config, --storage, --compression (DaemonClient.OPTIONS), as "--x V" or "--x=V" */
    static const char *const OPTIONS[] = {SOCKET_OPTION, CONFIG_OPTION, "--storage", "--compression"};
    const char *option_values[4] = {NULL, NULL, NULL, NULL};
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        int matched = -1;
        for (int o = 0; o < 4 && matched < 0; o++) {
            size_t len = strlen(OPTIONS[o]);
            if (strcmp(arg, OPTIONS[o]) == 0) {
                if (i + 1 >= argc) {
                    return 0;
                }
                option_values[o] = argv[++i];
                matched = o;
            } else if (strncmp(arg, OPTIONS[o], len) == 0 && arg[len] == '=') {
                option_values[o] = arg + len + 1;
                matched = o;
            }
        }
        if (matched >= 0) {
            continue;
        } else if (arg[0] == '-') {
            return 0;
        } else {
            if (count == 2) {
                return 0;
            }
            positional[count++] = arg;
        }
    }
    if (count != expected) {
        return 0;
    }
    const char *socket_option = option_values[0], *config_option = option_values[1];
    const char *storage_option = strip(option_values[2], &n) ? option_values[2] : NULL;
    const char *compression_option = strip(option_values[3], &n) ? option_values[3] : NULL;

    /* WALSTASH_DAEMON: auto (default), off, required (AutoDaemon.Mode). */
    const char *mode_value = strip(getenv("WALSTASH_DAEMON"), &n);
    int required = 0, off = 0;
    if (mode_value) {
        if (n == 8 && strncasecmp(mode_value, "required", 8) == 0) {
            required = 1;
        } else if (n == 3 && strncasecmp(mode_value, "off", 3) == 0) {
            off = 1;
        } else if (!(n == 4 && strncasecmp(mode_value, "auto", 4) == 0)) {
            fprintf(stderr, "walstash: error: WALSTASH_DAEMON must be auto, off or required, not '%.*s'\n", (int)n, mode_value);
            printf("3\n");
            return fflush(stdout) == 0 ? 0 : 1;
        }
    }

    /* The option, then the environment; a socket only in the config file is the JVM's to find. */
    size_t path_len;
    const char *path = strip(socket_option ? socket_option : getenv("WALSTASH_DAEMON_SOCKET"), &path_len);
    if (!path && (off || socket_option)) {
        return 0; /* an empty --daemon-socket= turns every daemon off */
    }
    if (path && (storage_option || compression_option)) {
        return 0; /* a daemon started by hand has its own settings, maybe not these */
    }

    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        debug("daemon not used", strerror(errno));
        return 0;
    }

    static struct setting settings[MAX_SETTINGS];
    unsigned settings_count = 0;
    if (environment_settings(settings, &settings_count, storage_option, compression_option) != 0) {
        debug("daemon not used", "too many settings");
        return 0;
    }
    const char *config = config_option ? config_option : getenv("WALSTASH_CONFIG");
    config = config_option ? (*config_option ? config_option : NULL) : strip(config, &n);
    if (config) {
        char absolute[PATH_MAX * 2];
        size_t config_len_value = config_option ? strlen(config) : n;
        size_t cwd_len = strlen(cwd);
        int written = config[0] == '/'
                ? snprintf(absolute, sizeof absolute, "%.*s", (int)config_len_value, config)
                : snprintf(absolute, sizeof absolute, "%s%s%.*s", cwd, cwd[cwd_len - 1] == '/' ? "" : "/",
                           (int)config_len_value, config);
        if (written < 0 || (size_t)written >= sizeof absolute) {
            return 0;
        }
        /* the file's content is part of the configuration: read it whole (config files are small) */
        FILE *file = fopen(absolute, "rb");
        if (!file) {
            debug("daemon not used", strerror(errno));
            return 0;
        }
        struct sha256 c;
        char hex[65];
        unsigned char chunk[8192];
        size_t got;
        int names_socket = 0;
        static const char SOCKET_SETTING[] = "WALSTASH_DAEMON_SOCKET";
        size_t carried = 0;
        char tail[sizeof SOCKET_SETTING + sizeof chunk];
        sha256_init(&c);
        while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) {
            sha256_update(&c, chunk, got);
            memcpy(tail + carried, chunk, got);
            size_t have = carried + got;
            for (size_t i = 0; i + strlen(SOCKET_SETTING) <= have; i++) {
                if (memcmp(tail + i, SOCKET_SETTING, strlen(SOCKET_SETTING)) == 0) {
                    names_socket = 1;
                }
            }
            carried = have < strlen(SOCKET_SETTING) ? have : strlen(SOCKET_SETTING);
            memmove(tail, tail + have - carried, carried);
        }
        int failed = ferror(file);
        fclose(file);
        if (failed) {
            return 0;
        }
        if (names_socket && !path) {
            return 3; /* the JVM reads config files: it asks the daemon that one names */
        }
        sha256_hex(&c, hex);
        settings[settings_count].name = "WALSTASH_CONFIG";
        settings[settings_count++].value = copy(absolute, (size_t)written);
        settings[settings_count].name = "WALSTASH_CONFIG_SHA256";
        settings[settings_count++].value = copy(hex, strlen(hex));
        if (!settings[settings_count - 2].value || !settings[settings_count - 1].value) {
            return 0;
        }
    }
    qsort(settings, settings_count, sizeof settings[0], by_name);

    struct buf body = {0};
    put_str(&body, verb, strlen(verb));
    put_str(&body, cwd, strlen(cwd));
    put_u16(&body, (unsigned)count);
    for (int i = 0; i < count; i++) {
        put_str(&body, positional[i], strlen(positional[i]));
    }
    put_u16(&body, settings_count);
    for (unsigned i = 0; i < settings_count; i++) {
        put_str(&body, settings[i].name, strlen(settings[i].name));
        put_str(&body, settings[i].value, strlen(settings[i].value));
    }
    struct buf frame = {0};
    put(&frame, MAGIC, sizeof MAGIC);
    put_u16(&frame, VERSION);
    put_u32(&frame, (uint32_t)body.len);
    put(&frame, body.data, body.len);
    if (body.failed || frame.failed || body.len > MAX_BODY) {
        return 0;
    }

    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    char why[PATH_MAX + 256];
    int code = 0;
    enum answer answer;
    /* A daemon that closes early must not kill this process before it can say nothing. */
    signal(SIGPIPE, SIG_IGN);
    if (path) {
        if (path_len >= sizeof address.sun_path) {
            debug("daemon not used", "socket path too long");
            return 0;
        }
        memcpy(address.sun_path, path, path_len);
        answer = ask(&address, &frame, &code, why, sizeof why);
    } else {
        /* The auto daemon: $XDG_RUNTIME_DIR/walstash or /tmp/walstash-<uid>, this user's alone (AutoDaemon.privateDirectory). */
        char directory[PATH_MAX];
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        if (runtime && runtime[0] == '/') {
            size_t r = strlen(runtime);
            while (r > 1 && runtime[r - 1] == '/') {
                r--;
            }
            snprintf(directory, sizeof directory, "%.*s%swalstash", (int)r, runtime, r == 1 ? "" : "/");
        } else {
            snprintf(directory, sizeof directory, "/tmp/walstash-%ld", (long)geteuid());
        }
        struct stat st;
        if (mkdir(directory, 0700) != 0 && errno != EEXIST) {
            snprintf(why, sizeof why, "cannot create %s: %s", directory, strerror(errno));
            answer = FAILED;
        } else if (lstat(directory, &st) != 0) {
            snprintf(why, sizeof why, "%s: %s", directory, strerror(errno));
            answer = FAILED;
        } else if (!S_ISDIR(st.st_mode)) {
            snprintf(why, sizeof why, "%s is not a directory", directory);
            answer = UNTRUSTED;
        } else if (st.st_uid != geteuid()) {
            snprintf(why, sizeof why, "%s is owned by uid %ld, not by this user (uid %ld)", directory, (long)st.st_uid,
                     (long)geteuid());
            answer = UNTRUSTED;
        } else if ((st.st_mode & 077) != 0) {
            snprintf(why, sizeof why, "%s has mode %o; it must be 700", directory, (unsigned)(st.st_mode & 0777));
            answer = UNTRUSTED;
        } else {
            struct sha256 c;
            char digest[65];
            static const char TAG[] = "walstash-daemon-1\0cwd=";
            sha256_init(&c);
            sha256_update(&c, TAG, sizeof TAG - 1);
            sha256_update(&c, cwd, strlen(cwd) + 1);
            for (unsigned i = 0; i < settings_count; i++) {
                sha256_update(&c, settings[i].name, strlen(settings[i].name));
                sha256_update(&c, "=", 1);
                sha256_update(&c, settings[i].value, strlen(settings[i].value) + 1);
            }
            sha256_hex(&c, digest);
            if (debug_enabled) {
                fprintf(stderr, "walstash: debug: configuration of cwd %s:", cwd);
                for (unsigned i = 0; i < settings_count; i++) {
                    fprintf(stderr, " %s", settings[i].name);
                }
                fputc('\n', stderr);
            }
            int written = snprintf(address.sun_path, sizeof address.sun_path, "%s/%.32s.sock", directory, digest);
            if (written < 0 || (size_t)written >= sizeof address.sun_path) {
                snprintf(why, sizeof why, "socket path too long");
                answer = FAILED;
            } else {
                answer = ask(&address, &frame, &code, why, sizeof why);
                if (answer == ABSENT) {
                    const char *launcher = getenv("WALSTASH_LAUNCHER");
                    const char *const options[3] = {config_option, storage_option, compression_option};
                    int started = launcher && *launcher ? start_daemon(address.sun_path, launcher, options) : -1;
                    debug(started > 0 ? "started a daemon" : started == 0 ? "another call is starting the daemon"
                                                                          : "cannot start a daemon", address.sun_path);
                    long long wait = 3000;
                    if (required) {
                        wait = 30000;
                    } else if (getenv("WALSTASH_DAEMON_WAIT") && duration_ms(getenv("WALSTASH_DAEMON_WAIT")) >= 0) {
                        wait = duration_ms(getenv("WALSTASH_DAEMON_WAIT"));
                    }
                    struct timespec now, deadline;
                    clock_gettime(CLOCK_MONOTONIC, &deadline);
                    deadline.tv_sec += wait / 1000;
                    deadline.tv_nsec += (wait % 1000) * 1000000;
                    char marker[sizeof address.sun_path + 16];
                    snprintf(marker, sizeof marker, "%.*s.starting", (int)(strlen(address.sun_path) - strlen(".sock")),
                             address.sun_path);
                    while (started >= 0 && answer == ABSENT) {
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
                            break;
                        }
                        /* the socket appears once the daemon listens; nothing tells, so look again shortly */
                        struct timespec pause = {0, 10 * 1000 * 1000};
                        nanosleep(&pause, NULL);
                        int starting = access(marker, F_OK) == 0;
                        answer = ask(&address, &frame, &code, why, sizeof why);
                        if (answer == ABSENT && !starting) {
                            /* the daemon removes the marker once it listens (then it answered) or when it gave up */
                            snprintf(why, sizeof why, "the daemon did not start (see its log beside %s)", address.sun_path);
                            break;
                        }
                    }
                }
            }
        }
    }
    if (answer != SERVED) {
        if (required) {
            fprintf(stderr, "walstash: error: WALSTASH_DAEMON=required and no daemon answered: %s\n", why);
            printf("10\n");
            return fflush(stdout) == 0 ? 0 : 1;
        }
        if (answer == UNTRUSTED) {
            warn_alone(why, NULL);
        } else {
            debug("daemon not used", why);
        }
        return 0;
    }
    printf("%d\n", (int)code);
    return fflush(stdout) == 0 ? 0 : 1;
}
