package ilb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ilb.IlbCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code ilb routes check}: the route files shipped pass, and a broken one is refused with what is wrong in it. */
class RoutesCommandTest {

    private static final Path POOL = Path.of("routes", "pool-llama.yaml");
    private static final String POLICY = "ref: \"predicted-latency?sloTtft=1s&sloTpot=50ms\"";

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void everyShippedRouteFileIsOk() throws IOException {
        List<String> args = new ArrayList<>(List.of("routes", "check"));
        for (Path folder : List.of(Path.of("routes"), Path.of("deploy", "kubernetes", "routes"))) {
            try (Stream<Path> files = Files.list(folder)) {
                files.filter(file -> file.toString().endsWith(".yaml")).sorted().map(Path::toString)
                        .forEach(args::add);
            }
        }

        assertThat(execute(args.toArray(String[]::new))).as(err.toString()).isZero();

        assertThat(out.toString().lines()).hasSize(args.size() - 2).allSatisfy(line -> assertThat(line)
                .contains(": ok ("));
        assertThat(out.toString()).contains(POOL + ": ok (1 route: pool-llama; 3 backends)")
                .contains(Path.of("routes", "batch.yaml") + ": ok (2 routes: batch-intake, batch-job)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        // what the file has instead of the shipped one's | what the message must name
        "unknown backend option | '                    tier: 0' | '                    tier: 0\\n                    colour: blue' | 'Unknown parameters=[{colour=blue}]'",
        "unknown model option | '        aliases: llama3' | '        aliases: llama3\\n        colour: red' | 'Unknown parameters=[{colour=red}]'",
        "bad duration | 'sloTtft=1s' | 'sloTtft=fast' | 'sloTtft must be a duration, got fast'",
        "bad backend duration | '                    tier: 0' | '                    tier: 0\\n                    timeout: soon' | 'timeout=soon'",
        "backend without url | '                    url: \"http://127.0.0.1:9101\"' | '' | 'backend:gpu-0 needs a url parameter'",
        "TLS options on plain text | '                    tier: 1' | '                    tier: 1\\n                    trustFile: ca.pem' | 'backend:cpu-0 sets TLS options, but http://127.0.0.1:9103 is plain text'",
        "unknown policy | 'predicted-latency?' | 'fastest?' | 'fastest?sloTtft=1s'",
        "unknown policy option | 'sloTpot=50ms' | 'sloTpott=50ms' | 'sloTpott'",
        "YAML syntax error | '        aliases: llama3' | '        aliases: [llama3' | 'aliases: [llama3'",
    })
    void aBrokenFileIsAnErrorThatNamesTheProblem(String problem, String shipped, String broken, String named)
            throws IOException {
        Path file = dir.resolve("pool-llama.yaml");
        String pool = Files.readString(POOL);
        assertThat(pool).contains(shipped);
        Files.writeString(file, pool.replaceFirst(java.util.regex.Pattern.quote(shipped),
                java.util.regex.Matcher.quoteReplacement(broken.replace("\\n", "\n"))));

        assertThat(execute("routes", "check", file.toString())).isEqualTo(1);

        assertThat(err.toString()).startsWith(file + ": ").contains(named);
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void twoRoutesOfOneIdAreAnError() throws IOException {
        String pool = Files.readString(POOL);
        String route = pool.substring(pool.indexOf("- route:"), pool.indexOf("# A second version"));
        Path file = dir.resolve("twice.yaml");
        Files.writeString(file, route + route);

        assertThat(execute("routes", "check", file.toString())).isEqualTo(1);

        assertThat(err.toString()).startsWith(file + ": ").contains("duplicate id detected: pool-llama");
    }

    @Test
    void eachFileIsReportedAndOneBrokenFileFailsTheCheck() throws IOException {
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, Files.readString(POOL).replace(POLICY, "ref: \"round-robin?weight=2\""));

        assertThat(execute("routes", "check", POOL.toString(), broken.toString(), dir.resolve("gone.yaml").toString()))
                .isEqualTo(1);

        assertThat(out.toString()).contains(POOL + ": ok");
        assertThat(err.toString()).contains(broken + ": ").contains("weight")
                .contains(dir.resolve("gone.yaml") + ": no such file");
    }

    @Test
    void checkWantsAFileAndHasHelp() {
        assertThat(execute("routes", "check")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required parameter", "<file>");

        assertThat(execute("routes", "check", "--help")).isZero();
        assertThat(out.toString()).contains("Usage: ilb routes check", "<file>...", "offline");
    }

    private int execute(String... args) {
        CommandLine cli = IlbCommand.commandLine(Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
