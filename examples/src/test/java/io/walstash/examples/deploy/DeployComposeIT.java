package io.walstash.examples.deploy;

import static io.walstash.examples.deploy.DeployImages.ROOT;
import static io.walstash.examples.deploy.DeployImages.TEST_FILES;
import static io.walstash.examples.deploy.DeployImages.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Compose overlay for real: docker-compose.yml (standing for an application's own file) with
 * docker-compose.walstash.yml over it, and only MinIO replaced (docker-compose.test.yml: a local
 * s3proxy image). The bucket is created by the overlay's walstash-init, WAL is archived under
 * pgbench, the scheduler's maintenance (backup, retention, verify, status) fires on its own, and
 * then the overlay's drill service restores a new PostgreSQL from the S3 service alone to a point in
 * time, whose data must equal the source's at that time and not its later state.
 */
class DeployComposeIT {
    // a bound, not a pace: on two loaded cores a backup or a recovery through JVM starts takes minutes
    static final Duration WAIT = Duration.ofMinutes(8);
    static final String ACCOUNTS = "select count(*) || ':' || md5(string_agg(aid || '=' || abalance, ',' order by aid)) from pgbench_accounts";

    final String project = "walstash-it-" + UUID.randomUUID().toString().substring(0, 8);
    final String password = UUID.randomUUID().toString();
    final String secretKey = UUID.randomUUID().toString();
    final Instant started = Instant.now();

    @BeforeAll
    static void images() throws Exception {
        DeployImages.build();
    }

    @AfterEach
    void down() throws Exception {
        DeployImages.Result logs = compose("logs", "--no-color", "--tail", "40");
        System.out.println(logs.output());
        compose("down", "-v", "--remove-orphans", "--timeout", "5");
    }

    @Test
    void archivesBacksUpOnScheduleAndADrillRestoresAPointInTimeFromS3Alone() throws Exception {
        compose("up", "-d").ok();
        phase("up");
        assertThat(compose("ps", "-q", "walstash-init").ok().trimmed()).as("the bucket's creator ran").isNotEmpty();
        assertThat(compose("logs", "--no-color", "walstash-init").output()).contains("bucket: created", "OK: the storage works");

        // archiving under load
        sql("postgres", "select 1");
        pg("pgbench", "-i", "-q", "-s", "1", "-U", "app", "app").ok();
        pg("pgbench", "-T", "5", "-c", "2", "-U", "app", "app").ok();
        sql("postgres", "select pg_switch_wal()");
        await(WAIT, r -> r.trimmed().matches("[3-9]|\\d\\d+"), () -> sql0("postgres", "select archived_count from pg_stat_archiver")).ok();
        assertThat(sql("postgres", "select failed_count from pg_stat_archiver")).isEqualTo("0");

        // the scheduled maintenance: backup, retention (WALG_RETAIN_BACKUPS), verify and status, all passing
        DeployImages.Result maintenance = await(WAIT, r -> r.output().contains("maintenance done"),
                () -> compose("logs", "--no-color", "walstash-scheduler"));
        assertThat(maintenance.output()).contains("walstash backup-push /var/lib/postgresql/data", "walstash delete retain 7 --confirm",
                "walstash backup-verify LATEST", "walstash status").doesNotContain("failed with exit code", "with failures");
        compose("stop", "-t", "5", "walstash-scheduler").ok();
        phase("archived under pgbench, scheduled maintenance done");

        // a point in time after the backup, with work before and after it
        pg("pgbench", "-T", "3", "-c", "2", "-U", "app", "app").ok();
        String atTarget = sql("app", ACCOUNTS);
        String target = sql("app", "select clock_timestamp()");
        sql("app", "update pgbench_accounts set abalance = abalance + 1000 where aid <= 100");
        String after = sql("app", ACCOUNTS);
        assertThat(after).isNotEqualTo(atTarget);
        String last = sql("postgres", "select pg_walfile_name(pg_current_wal_lsn())");
        sql("postgres", "select pg_switch_wal()");
        await(WAIT, r -> r.trimmed().compareTo(last) >= 0,
                () -> sql0("postgres", "select coalesce(last_archived_wal, '') from pg_stat_archiver")).ok();

        // no process in the database container has a secret on its command line
        assertThat(compose("exec", "-T", "postgres", "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '").ok().output())
                .doesNotContain(password, secretKey);

        // the drill: a new container and volume, from the S3 service alone
        Map<String, String> drill = new HashMap<>(environment());
        drill.put("WALSTASH_RESTORE_TARGET_TIME", target);
        phase("target set and archived");
        compose(drill, "--profile", "drill", "up", "-d", "--no-deps", "walstash-drill").ok();
        DeployImages.Result promoted = await(WAIT, r -> r.trimmed().equals("f"),
                () -> composeExec("walstash-drill", "psql", "-U", "app", "-d", "app", "-Atc", "select pg_is_in_recovery()"));
        assertThat(promoted.trimmed()).as("the drill's PostgreSQL recovered and was promoted:\n"
                + compose(drill, "logs", "--no-color", "walstash-drill").output()).isEqualTo("f");
        assertThat(composeExec("walstash-drill", "psql", "-U", "app", "-d", "app", "-Atc", ACCOUNTS).ok().trimmed())
                .isEqualTo(atTarget);
        assertThat(compose(drill, "logs", "--no-color", "walstash-drill").output())
                .contains("walstash-entrypoint: restoring an empty data directory", "--target-time " + target);
        assertThat(composeExec("walstash-drill", "psql", "-U", "app", "-d", "app", "-Atc", "show archive_mode").ok().trimmed())
                .isEqualTo("off");
        phase("drill restored and compared");
    }

    /** The phases' times in the test's output, for the README's and the CI budget's sake. */
    void phase(String done) {
        System.out.printf("DeployComposeIT: %s after %d s%n", done, Duration.between(started, Instant.now()).toSeconds());
    }

    /** The settings the overlay reads from .env or the shell: here the test's own images and secrets. */
    Map<String, String> environment() {
        return Map.of("WALSTASH_IMAGE", DeployImages.WALSTASH, "S3_IMAGE", DeployImages.S3PROXY,
                "POSTGRES_PASSWORD", password, "AWS_SECRET_ACCESS_KEY", secretKey,
                // a free local port instead of the base file's 5432, and maintenance within seconds
                "POSTGRES_PORT", "127.0.0.1:", "WALSTASH_SCHEDULE_EVERY", "3", "WALSTASH_ARCHIVE_TIMEOUT", "10s");
    }

    DeployImages.Result compose(String... args) throws Exception {
        return compose(environment(), args);
    }

    DeployImages.Result compose(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker-compose", "--ansi", "never", "-p", project,
                "-f", ROOT.resolve("examples/deploy/compose/docker-compose.yml").toString(),
                "-f", ROOT.resolve("examples/deploy/compose/docker-compose.walstash.yml").toString(),
                "-f", TEST_FILES.resolve("docker-compose.test.yml").toString()));
        command.addAll(List.of(args));
        return DeployImages.run(WAIT, env, command);
    }

    DeployImages.Result composeExec(String service, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("exec", "-T", "-u", "postgres", service));
        args.addAll(List.of(command));
        return compose(args.toArray(String[]::new));
    }

    /** A PostgreSQL tool of the database container, from its /usr/lib/postgresql/<version>/bin. */
    DeployImages.Result pg(String tool, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "exec \"$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)/$0\" \"$@\"", tool));
        command.addAll(List.of(args));
        return composeExec("postgres", command.toArray(String[]::new));
    }

    String sql(String database, String query) throws Exception {
        return sql0(database, query).ok().trimmed();
    }

    DeployImages.Result sql0(String database, String query) throws Exception {
        return composeExec("postgres", "psql", "-U", "app", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", query);
    }
}
