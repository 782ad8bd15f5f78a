package ilb.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A results table: raw values in rows, formatted for Markdown by each column's format, written as they are to JSON.
 * A null or NaN cell (nothing measured) shows as a dash, an infinite one (a latency percentile that fell on failed
 * requests) as ∞, an empty map (errors by kind) as none.
 */
final class Table {

    /** A column: its heading and how its numbers are shown ({@code %.1f}). */
    record Column(String name, String format) {
    }

    private final String title;
    private final List<Column> columns = new ArrayList<>();
    private final List<Object[]> rows = new ArrayList<>();

    Table(String title) {
        this.title = title;
    }

    String title() {
        return title;
    }

    /** A text column, or a number column with its format. */
    Table column(String name, String format) {
        columns.add(new Column(name, format));
        return this;
    }

    Table column(String name) {
        return column(name, "%s");
    }

    Table row(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException(title + ": " + values.length + " values for " + columns.size() + " columns");
        }
        rows.add(values);
        return this;
    }

    String markdown() {
        StringBuilder md = new StringBuilder("| ");
        columns.forEach(c -> md.append(c.name()).append(" | "));
        md.setLength(md.length() - 1);
        md.append("\n|");
        columns.forEach(c -> md.append(c.format().equals("%s") ? " --- |" : " ---: |"));
        md.append('\n');
        for (Object[] row : rows) {
            md.append("| ");
            for (int i = 0; i < row.length; i++) {
                md.append(cell(row[i], columns.get(i).format())).append(" | ");
            }
            md.setLength(md.length() - 1);
            md.append('\n');
        }
        return md.toString();
    }

    private static String cell(Object value, String format) {
        if (value == null || value instanceof Double d && d.isNaN()) {
            return "–";
        }
        if (value instanceof Double d && d.isInfinite()) {
            return "∞";
        }
        if (value instanceof Map<?, ?> map && map.isEmpty()) {
            return "none";
        }
        return value instanceof Number ? String.format(format, value) : value.toString();
    }

    /** Rows as name-to-value maps, for the JSON file (NaN as null). */
    List<Map<String, Object>> records() {
        return rows.stream().map(row -> {
            Map<String, Object> record = new LinkedHashMap<>();
            for (int i = 0; i < row.length; i++) {
                Object value = row[i];
                record.put(columns.get(i).name(), value instanceof Double d && d.isNaN() ? null : value);
            }
            return record;
        }).toList();
    }
}
