package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * One scenario's results: notes, tables and charts in order, written as {@code <id>.md} and {@code <id>.json}
 * (the same tables with raw numbers) into the results directory, where the charts are too.
 */
final class Report {

    private final String id;
    private final String title;
    private final Path results;
    private final StringBuilder markdown = new StringBuilder();
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, Object> tables = new LinkedHashMap<>();

    Report(String id, String title, Path results) {
        this.id = id;
        this.title = title;
        this.results = results;
        json.put("scenario", id);
        json.put("title", title);
        json.put("notes", notes);
        json.put("tables", tables);
    }

    /** A paragraph of Markdown: setup, what a number means, a caveat. Also printed as the bench goes. */
    Report note(String text) {
        markdown.append(text).append("\n\n");
        notes.add(text);
        System.out.println(text);
        return this;
    }

    Report table(Table table) {
        String md = table.markdown();
        markdown.append("### ").append(table.title()).append("\n\n").append(md).append('\n');
        tables.put(table.title(), table.records());
        System.out.println("\n" + table.title() + "\n" + md);
        return this;
    }

    /** Where a chart of this report goes: {@code <id>-<name>.png} beside the report; call {@link #chart} after drawing it. */
    Path chartFile(String name) {
        return results.resolve(id + "-" + name + ".png");
    }

    Report chart(Path png, String caption) {
        markdown.append("![").append(caption).append("](").append(png.getFileName()).append(")\n\n");
        return this;
    }

    /** A value for the JSON file only (settings, series behind a chart). */
    Report data(String name, Object value) {
        json.put(name, value);
        return this;
    }

    void write(double seconds) {
        json.put("seconds", Math.round(seconds));
        try {
            Files.writeString(results.resolve(id + ".md"), "# " + title + "\n\n" + markdown
                    + String.format("Run took %.0f s.%n", seconds));
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(results.resolve(id + ".json").toFile(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
