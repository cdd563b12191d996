package io.walstash.core.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a database holds, reduced to comparable numbers: per table of the public schema, its row
 * count and the MD5 of its rows' text in a fixed order. Two clusters with equal fingerprints hold
 * the same rows.
 */
public record DataFingerprint(Map<String, TableFingerprint> tables) {

    public record TableFingerprint(long rows, String md5) {
    }

    public DataFingerprint {
        tables = Map.copyOf(tables);
    }

    public static DataFingerprint of(Connection connection) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(
                     "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        Map<String, TableFingerprint> tables = new LinkedHashMap<>();
        for (String name : names) {
            String quoted = "\"" + name.replace("\"", "\"\"") + "\"";
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                         + " FROM public." + quoted + " t")) {
                rs.next();
                tables.put(name, new TableFingerprint(rs.getLong(1), rs.getString(2)));
            }
        }
        return new DataFingerprint(tables);
    }

    public long totalRows() {
        return tables.values().stream().mapToLong(TableFingerprint::rows).sum();
    }
}
