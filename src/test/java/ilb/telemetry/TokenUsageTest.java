package ilb.telemetry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class TokenUsageTest {

    @Test
    void aReplysUsageIsRead() {
        TokenUsage usage = new TokenUsage();
        usage.reply(("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"the usage of \\\"usage\\\"\"}}],"
                + "\"usage\": {\"prompt_tokens\": 12, \"completion_tokens\":34, \"total_tokens\":46}}").getBytes(UTF_8));
        assertThat(usage.promptTokens()).isEqualTo(12);
        assertThat(usage.completionTokens()).isEqualTo(34);
    }

    @Test
    void aReplyWithoutUsageCountsNothing() {
        TokenUsage usage = new TokenUsage();
        usage.reply("{\"outputs\":[{\"name\":\"OUTPUT0\",\"data\":[1,2,3]}]}".getBytes(UTF_8));
        assertThat(usage.promptTokens()).isZero();
        assertThat(usage.completionTokens()).isZero();
    }

    @Test
    void aStreamWithoutUsageCountsOneTokenPerEventWithGeneratedText() {
        TokenUsage usage = new TokenUsage();
        // the role event and the finish event carry no text
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"));
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"));
        // two events in one chunk, and text that merely mentions data:
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{\"content\": \"data: b\"}}]}\n\n"
                + "data: {\"choices\":[{\"text\":\"c\"}]}\n\n"));
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"));
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(usage.promptTokens()).isZero();
    }

    @Test
    void anEventSplitAcrossChunksIsPutTogether() {
        String stream = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n";
        // every split of the stream in two, and the stream byte by byte
        for (int split = 1; split < stream.length(); split++) {
            TokenUsage usage = new TokenUsage();
            usage.chunk(chunk(stream.substring(0, split)));
            usage.chunk(chunk(stream.substring(split)));
            assertThat(usage.promptTokens()).as("split at %d", split).isEqualTo(17);
            assertThat(usage.completionTokens()).as("split at %d", split).isEqualTo(1);
        }
        TokenUsage usage = new TokenUsage();
        for (char c : stream.toCharArray()) {
            usage.chunk(chunk(String.valueOf(c)));
        }
        assertThat(usage.promptTokens()).isEqualTo(17);
    }

    @Test
    void aStreamThatIsNotServerSentEventsIsNotHeldWithoutBound() {
        TokenUsage usage = new TokenUsage();
        for (int i = 0; i < 1000; i++) {
            usage.chunk(chunk("x".repeat(1000)));
        }
        usage.chunk(chunk("\n\ndata: {\"choices\":[{\"text\":\"c\"}]}\n\n"));
        assertThat(usage.completionTokens()).isEqualTo(1);
    }

    @Test
    void aStreamsUsageEventWins() {
        TokenUsage usage = new TokenUsage();
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"));
        usage.chunk(chunk("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5}}\n\n"));
        assertThat(usage.promptTokens()).isEqualTo(7);
        assertThat(usage.completionTokens()).isEqualTo(5);
    }

    @Test
    void aUsageEventAfterAnotherEventInTheSameChunkIsRead() {
        TokenUsage usage = new TokenUsage();
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5}}\n\ndata: [DONE]\n\n"));
        assertThat(usage.promptTokens()).isEqualTo(7);
        assertThat(usage.completionTokens()).isEqualTo(5);
    }

    @Test
    void readingAChunkLeavesItAsItWas() {
        ByteBuf chunk = chunk("data: {\"usage\":{\"prompt_tokens\":1}}\n\n");
        int before = chunk.readableBytes();
        new TokenUsage().chunk(chunk);
        assertThat(chunk.readableBytes()).isEqualTo(before);
        assertThat(chunk.refCnt()).isEqualTo(1);
    }

    @Test
    void theTotalTakesAGuessOnlyForAPromptTheServerDidNotReport() {
        TokenUsage reported = new TokenUsage();
        reported.reply("{\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34}}".getBytes(UTF_8));
        assertThat(reported.total(50)).isEqualTo(46);

        TokenUsage streamed = new TokenUsage();
        streamed.chunk(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"));
        assertThat(streamed.total(50)).isEqualTo(52);
    }

    private static ByteBuf chunk(String text) {
        return Unpooled.copiedBuffer(text, UTF_8);
    }
}
