/*
 * walstash-client: the daemon client of docs/daemon-protocol.md, in C, so that archive_command and
 * restore_command served by `walstash daemon` do not pay for a JVM start on every WAL file. It
 * does what io.walstash.cli.DaemonClient does (that class stays the reference, and the fallback
 * where no C compiler built this file): it takes only `wal-push PATH` and `wal-fetch NAME DEST`
 * with --daemon-socket and --config, sends one request, and when the daemon answers prints the
 * answer's message on stderr and its exit code on stdout. It prints nothing on stdout whenever the
 * daemon gives no answer; the launcher then runs the full command line, which serves the request
 * itself. A socket named only in the config file is left to the JVM (which reads config files).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VERSION 1
#define MAX_BODY (1 << 20)
static const char MAGIC[8] = {'W', 'S', 'D', 'A', 'E', 'M', 'O', 'N'};
static const char SOCKET_OPTION[] = "--daemon-socket";
static const char CONFIG_OPTION[] = "--config";

/* The settings that choose repository and codec, walstash's names then WAL-G's (Configuration.ALIASES). */
static const char *const SETTINGS[] = {
    "WALSTASH_STORAGE", "WALG_S3_PREFIX", "WALG_GS_PREFIX", "WALG_AZ_PREFIX", "WALG_FILE_PREFIX",
    "WALSTASH_COMPRESSION", "WALG_COMPRESSION_METHOD",
};

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
    const char *socket_option = NULL, *config_option = NULL;
    size_t socket_len = strlen(SOCKET_OPTION), config_len = strlen(CONFIG_OPTION);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, SOCKET_OPTION) == 0 || strcmp(arg, CONFIG_OPTION) == 0) {
            if (i + 1 >= argc) {
                return 0;
            }
            if (arg[2] == 'd') {
                socket_option = argv[++i];
            } else {
                config_option = argv[++i];
            }
        } else if (strncmp(arg, SOCKET_OPTION, socket_len) == 0 && arg[socket_len] == '=') {
            socket_option = arg + socket_len + 1;
        } else if (strncmp(arg, CONFIG_OPTION, config_len) == 0 && arg[config_len] == '=') {
            config_option = arg + config_len + 1;
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

    /* The option, then the environment; a socket only in the config file is the JVM's to find. */
    size_t path_len;
    const char *path = strip(socket_option ? socket_option : getenv("WALSTASH_DAEMON_SOCKET"), &path_len);
    if (!path) {
        return 0;
    }
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (path_len >= sizeof address.sun_path) {
        debug("daemon not used", "socket path too long");
        return 0;
    }
    memcpy(address.sun_path, path, path_len);

    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        debug("daemon not used", strerror(errno));
        return 0;
    }

    struct buf body = {0};
    put_str(&body, verb, strlen(verb));
    put_str(&body, cwd, strlen(cwd));
    put_u16(&body, (unsigned)count);
    for (int i = 0; i < count; i++) {
        put_str(&body, positional[i], strlen(positional[i]));
    }
    const char *names[sizeof SETTINGS / sizeof SETTINGS[0] + 1];
    const char *values[sizeof SETTINGS / sizeof SETTINGS[0] + 1];
    size_t lengths[sizeof SETTINGS / sizeof SETTINGS[0] + 1];
    unsigned settings = 0;
    for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++) {
        const char *value = strip(getenv(SETTINGS[i]), &n);
        if (value) {
            names[settings] = SETTINGS[i];
            values[settings] = value;
            lengths[settings++] = n;
        }
    }
    const char *config = config_option ? config_option : getenv("WALSTASH_CONFIG");
    config = config_option ? (*config_option ? config_option : NULL) : strip(config, &n);
    char absolute[PATH_MAX * 2];
    if (config) {
        size_t config_len_value = config_option ? strlen(config) : n;
        int written = config[0] == '/'
                ? snprintf(absolute, sizeof absolute, "%.*s", (int)config_len_value, config)
                : snprintf(absolute, sizeof absolute, "%s/%.*s", cwd, (int)config_len_value, config);
        if (written < 0 || (size_t)written >= sizeof absolute) {
            return 0;
        }
        names[settings] = "WALSTASH_CONFIG";
        values[settings] = absolute;
        lengths[settings++] = (size_t)written;
    }
    put_u16(&body, settings);
    for (unsigned i = 0; i < settings; i++) {
        put_str(&body, names[i], strlen(names[i]));
        put_str(&body, values[i], lengths[i]);
    }
    struct buf frame = {0};
    put(&frame, MAGIC, sizeof MAGIC);
    put_u16(&frame, VERSION);
    put_u32(&frame, (uint32_t)body.len);
    put(&frame, body.data, body.len);
    if (body.failed || frame.failed || body.len > MAX_BODY) {
        return 0;
    }

    /* A daemon that closes early must not kill this process before it can say nothing. */
    signal(SIGPIPE, SIG_IGN);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        debug("daemon not used", strerror(errno));
        return 0;
    }
    if (write_all(fd, frame.data, frame.len) != 0) {
        debug("daemon not used", strerror(errno));
        return 0;
    }
    unsigned char header[14];
    if (read_all(fd, header, sizeof header) != 0) {
        debug("the daemon closed the connection without an answer", NULL);
        return 0;
    }
    unsigned version = ((unsigned)header[8] << 8) | header[9];
    uint32_t length = get_u32(header + 10);
    if (memcmp(header, MAGIC, sizeof MAGIC) != 0 || version != VERSION || length > MAX_BODY || length < 9) {
        debug("daemon not used", "not a response of protocol version 1");
        return 0;
    }
    unsigned char *response = malloc((size_t)length + 1); /* + 1: the message ends in a NUL for debug() */
    if (!response || read_all(fd, response, length) != 0) {
        debug("the daemon closed the connection without an answer", NULL);
        return 0;
    }
    close(fd);
    int32_t code = (int32_t)get_u32(response + 1);
    uint32_t message_len = get_u32(response + 5);
    if (message_len > length - 9) {
        debug("daemon not used", "malformed response");
        return 0;
    }
    response[9 + message_len] = '\0';
    if (response[0] != 0) {
        debug("the daemon declined", message_len ? (char *)response + 9 : "");
        return 0;
    }
    /* 0..255: walstash's codes are 0..125 plus 128, wal-fetch's "recovery stopped" (see ExitCode) */
    if (code < 0 || code > 255) {
        debug("daemon not used", "exit code out of range");
        return 0;
    }
    if (message_len > 0) {
        fwrite(response + 9, 1, message_len, stderr);
        fputc('\n', stderr);
        fflush(stderr);
    }
    printf("%d\n", (int)code);
    return fflush(stdout) == 0 ? 0 : 1;
}
