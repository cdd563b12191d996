package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.Driver;

class PostgresConnectionTest {

    /** PgJDBC reads the URL: the database it names must be PGDATABASE exactly, and nothing else may ride along. */
    @ParameterizedTest
    @ValueSource(strings = {"postgres", "my db", "x?sslmode=disable&user=admin", "a/b", "100%", "plus+sign", "ünïcode"})
    void databaseNameReachesTheDriverUnchanged(String database) {
        Properties parsed = Driver.parseURL(PostgresConnection.url("127.0.0.1", "5432", database), null);

        assertThat(parsed).isNotNull();
        assertThat(parsed.getProperty("PGDBNAME")).isEqualTo(database);
        assertThat(parsed.getProperty("sslmode")).isNull();
        assertThat(parsed.getProperty("user")).isNull();
        assertThat(parsed.getProperty("PGHOST")).isEqualTo("127.0.0.1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"db.example.com", "127.0.0.1", "::1"})
    void hostNamesAndAddressesAreAccepted(String host) {
        assertThat(Driver.parseURL(PostgresConnection.url(host, "5432", "postgres"), null)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil/postgres?sslmode=disable&x=", "host name", "h?a=b"})
    void hostThatWouldCarryUrlSyntaxIsRefused(String host) {
        assertThatThrownBy(() -> PostgresConnection.url(host, "5432", "postgres"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PGHOST");
    }
}
