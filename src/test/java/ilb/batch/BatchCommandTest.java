package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import ilb.IlbCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code ilb batch}'s usage: a mistyped option is an error, not the default silently taken (collect once read the
 * default broker for {@code --bootstrap-servers}). Submitting and collecting: {@link SubmitAndCollectTest}.
 */
class BatchCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void aMistypedOptionIsAUsageErrorThatNamesIt() {
        assertThat(execute("batch", "collect", "--bootstrap-servers", "kafka:9092", "jobs.jsonl", "results.jsonl"))
                .isEqualTo(2);

        // and picocli suggests the option meant
        assertThat(err.toString()).contains("Unknown options: '--bootstrap-servers'",
                "Possible solutions: --bootstrap-server");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aTimeoutThatIsNoDurationIsAUsageError() {
        assertThat(execute("batch", "collect", "--timeout", "soon", "jobs.jsonl", "results.jsonl")).isEqualTo(2);

        assertThat(err.toString()).contains("--timeout", "'soon' is not a duration");
    }

    @Test
    void aTimeoutIsSecondsOrADuration() {
        BatchCommand.Timeout timeout = new BatchCommand.Timeout();

        assertThat(timeout.convert("60")).hasSeconds(60);
        assertThat(timeout.convert("90s")).hasSeconds(90);
        assertThat(timeout.convert("30m")).hasMinutes(30);
    }

    @Test
    void submitWantsItsFile() {
        assertThat(execute("batch", "submit")).isEqualTo(2);

        assertThat(err.toString()).contains("Missing required parameter", "<jobs.jsonl>");
    }

    @Test
    void helpListsTheCommandsAndTheirOptions() {
        assertThat(execute("batch", "--help")).isZero();
        assertThat(out.toString()).contains("submit", "collect");

        assertThat(execute("batch", "submit", "--help")).isZero();
        assertThat(out.toString()).contains("<jobs.jsonl>", "ILB_API_KEY", "--bootstrap-server", "--requests-topic");

        assertThat(execute("batch", "collect", "--help")).isZero();
        assertThat(out.toString()).contains("<results.jsonl>", "--timeout", "--results-topic", "--dlq-topic");
    }

    private int execute(String... args) {
        CommandLine cli = IlbCommand.commandLine(Map.of());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
