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
    void aStreamWithoutUsageCountsOneTokenPerEventAndNotDone() {
        TokenUsage usage = new TokenUsage();
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"));
        // two events in one chunk, and text that merely mentions data:
        usage.chunk(chunk("data: {\"choices\":[{\"delta\":{\"content\":\"data: b\"}}]}\n\ndata: {\"choices\":[]}\n\n"));
        usage.chunk(chunk("data: [DONE]\n\n"));
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(usage.promptTokens()).isZero();
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

    private static ByteBuf chunk(String text) {
        return Unpooled.copiedBuffer(text, UTF_8);
    }
}
