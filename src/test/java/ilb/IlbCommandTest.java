package ilb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The top of ilb's command line: its help, its version, and what it does with what it does not know. */
class IlbCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void helpListsEveryCommand() {
        assertThat(execute("--help")).isZero();

        assertThat(out.toString()).contains("Usage: ilb", "batch", "console", "routes", "help", "--version",
                "bin/ilb drain", "hawtio-user");
    }

    @Test
    void helpCommandGivesACommandsHelp() {
        assertThat(execute("help", "routes")).isZero();

        assertThat(out.toString()).contains("Usage: ilb routes", "check");
    }

    @Test
    void everyCommandHasAVersion() {
        assertThat(execute("--version")).isZero();
        assertThat(execute("routes", "check", "--version")).isZero();

        assertThat(out.toString().lines()).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("ilb "));
    }

    @Test
    void anUnknownCommandOrOptionIsAUsageError() {
        assertThat(execute("bench")).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument at index 0: 'bench'");

        assertThat(execute("--verbose", "routes")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--verbose'");
    }

    @Test
    void aCommandOfCommandsWithoutOneIsAUsageError() {
        assertThat(execute("routes")).isEqualTo(2);

        assertThat(err.toString()).contains("Missing required subcommand", "check");
    }

    private int execute(String... args) {
        CommandLine cli = IlbCommand.commandLine(Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
