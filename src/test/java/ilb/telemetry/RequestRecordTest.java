package ilb.telemetry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ilb.inference.ApiError;
import ilb.inference.HttpReply;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RequestRecordTest {

    private final List<RequestRecord> ended = new ArrayList<>();

    private RequestRecord record(String requestId) {
        return new RequestRecord(RequestRecord.Entry.HTTP, requestId, null, ended::add);
    }

    @Test
    void endsOnceAndTellsItsListenerOnce() {
        RequestRecord record = record("r1");
        record.answered(ApiError.unavailable("overloaded", "busy", 1), null, 0);

        record.end();
        record.end();

        assertThat(ended).containsExactly(record);
        assertThat(record.outcome()).isEqualTo("unavailable");
        assertThat(record.status()).isEqualTo(503);
        assertThat(record.durationNanos()).isPositive();
    }

    @Test
    void aRequestEndedUnansweredIsTheClientGone() {
        RequestRecord record = record("r1");

        record.end();

        assertThat(record.outcome()).isEqualTo("client_gone");
        assertThat(record.status()).isEqualTo(499);
    }

    @Test
    void aRequestEndedWithAStatusButNoAnswerTakesItsOutcomeFromTheStatus() {
        RequestRecord record = record("r1");

        record.status(413);
        record.end();

        assertThat(record.outcome()).isEqualTo("client_error");
        assertThat(record.status()).isEqualTo(413);
    }

    @Test
    void aClientGoneAfterItsAnswerStartedIsGoneWithTheStatusItGot() {
        RequestRecord answered = record("r1");
        answered.answered(new HttpReply(200, Map.of(), new byte[0]), "b1", 1);
        answered.status(200);
        RequestRecord unanswered = record("r2");

        answered.clientGone();
        answered.end();
        unanswered.clientGone();
        unanswered.end();

        assertThat(answered.outcome()).isEqualTo("client_gone");
        assertThat(answered.status()).isEqualTo(200);
        assertThat(unanswered.outcome()).isEqualTo("client_gone");
        assertThat(unanswered.status()).isEqualTo(499);
    }

    @Test
    void aWholeReplysTokensComeFromItsUsage() {
        RequestRecord record = record("r1");
        byte[] body = "{\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4}}".getBytes(StandardCharsets.UTF_8);

        record.answered(new HttpReply(200, Map.of(), body), "b1", 2);
        record.end();

        assertThat(record.promptTokens()).isEqualTo(11);
        assertThat(record.completionTokens()).isEqualTo(4);
        assertThat(record.backend()).isEqualTo("b1");
        assertThat(record.attempts()).isEqualTo(2);
        assertThat(record.ttftNanos()).isEqualTo(-1);
    }

    @Test
    void anErrorHasNoTokensAndTheWrittenStatusWins() {
        RequestRecord record = record("r1");

        record.answered(new HttpReply(500, Map.of(), new byte[0]), "b1", 1);
        record.status(502);
        record.end();

        assertThat(record.promptTokens()).isEqualTo(-1);
        assertThat(record.status()).isEqualTo(502);
        assertThat(record.outcome()).isEqualTo("server_error");
    }

    @Test
    void queueWaitsAddUp() {
        RequestRecord record = record("r1");
        assertThat(record.queueWaitNanos()).isEqualTo(-1);

        record.queued(100, 300);
        record.queued(1_000, 1_050);

        assertThat(record.queueWaitNanos()).isEqualTo(250);
    }

    @Test
    void withoutATraceAnAttemptHasNone() {
        assertThat(record("r1").attempt(null, 1, false)).isNull();
    }

    @Test
    void whatAClientChoseIsBoundedAndHasNoControlCharacters() {
        assertThat(RequestRecord.bounded("a\nb\tc")).isEqualTo("a?b?c");
        assertThat(RequestRecord.bounded("x".repeat(1000))).hasSize(RequestRecord.MAX_CLIENT_VALUE);
        assertThat(record("id\r\nforged=1").requestId()).isEqualTo("id??forged=1");
    }

    @Test
    void aRequestWithoutAnIdGetsIlbsOwn() {
        String first = record(null).requestId();
        String second = record(" ").requestId();

        assertThat(first).isNotBlank().isNotEqualTo(second);
    }
}
