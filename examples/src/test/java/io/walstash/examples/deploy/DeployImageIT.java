package io.walstash.examples.deploy;

import static io.walstash.examples.deploy.DeployImages.WALSTASH;
import static io.walstash.examples.deploy.DeployImages.await;
import static io.walstash.examples.deploy.DeployImages.docker;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image alone, as the issue writes it: {@code docker run -e WALG_FILE_PREFIX=/archive -v
 * archive:/archive IMAGE} initialises a cluster on a base built from Debian's PostgreSQL, runs it
 * as the postgres OS user (never root) and archives its WAL into the volume through walstash.
 */
class DeployImageIT {
    static final Duration WAIT = Duration.ofMinutes(3);
    final String name = "walstash-it-image-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void images() throws Exception {
        DeployImages.build();
    }

    @AfterEach
    void remove() throws Exception {
        docker(Duration.ofMinutes(1), Map.of(), "rm", "-f", "-v", name);
        docker(Duration.ofMinutes(1), Map.of(), "volume", "rm", "-f", name);
    }

    @Test
    void archivesToAVolumeWithWalGsNamesAlone() throws Exception {
        docker(Duration.ofMinutes(1), Map.of(), "run", "-d", "--name", name, "-e", "WALG_FILE_PREFIX=/archive",
                "-v", name + ":/archive", WALSTASH).ok();
        await(WAIT, r -> r.exit() == 0, () -> exec("pg_isready", "-q")).ok();

        String segment = exec("psql", "-U", "postgres", "-Atc", "select pg_walfile_name(pg_current_wal_lsn())").ok().trimmed();
        exec("psql", "-U", "postgres", "-Atc", "create table t as select generate_series(1, 1000) i; select pg_switch_wal()").ok();
        await(WAIT, r -> r.output().contains(segment + ".zst"), () -> exec("ls", "/archive/wal")).ok();
        assertThat(exec("psql", "-U", "postgres", "-Atc", "select failed_count from pg_stat_archiver").ok().trimmed()).isEqualTo("0");

        // PostgreSQL (the postmaster, whose pid heads postmaster.pid) runs as postgres; so do the
        // repository's files, owner-only
        assertThat(exec("sh", "-c", "stat -c %U /proc/$(head -n 1 \"$PGDATA/postmaster.pid\")").ok().trimmed()).isEqualTo("postgres");
        assertThat(exec("stat", "-c", "%U %a", "/archive", "/archive/wal/" + segment + ".zst").ok().output().lines())
                .containsExactly("postgres 700", "postgres 600");
        // and through walstash's own settings: the archive_command the README gives
        assertThat(exec("psql", "-U", "postgres", "-Atc", "show archive_command").ok().trimmed())
                .isEqualTo("/opt/walstash/bin/walstash wal-push %p");
    }

    @Test
    void refusesToStartArchivingWithoutARepository() throws Exception {
        docker(Duration.ofMinutes(1), Map.of(), "run", "--name", name, WALSTASH);
        DeployImages.Result logs = docker(Duration.ofMinutes(1), Map.of(), "logs", name);
        assertThat(logs.output() + logs.errors()).contains("walstash-entrypoint: error: no repository: set WALSTASH_STORAGE");
        assertThat(docker(Duration.ofMinutes(1), Map.of(), "inspect", "-f", "{{.State.ExitCode}}", name).ok().trimmed()).isEqualTo("1");
    }

    private DeployImages.Result exec(String... command) throws Exception {
        String[] args = new String[command.length + 4];
        args[0] = "exec";
        args[1] = "-u";
        args[2] = "postgres";
        args[3] = name;
        System.arraycopy(command, 0, args, 4, command.length);
        return docker(Duration.ofMinutes(1), Map.of(), args);
    }
}
