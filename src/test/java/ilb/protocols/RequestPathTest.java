package ilb.protocols;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestPathTest {

    @Test
    void decodesEachSegmentOnce() {
        RequestPath path = RequestPath.parse("/v2/models/a%20b/versions/..%252Fx/infer");
        assertThat(path.segments()).containsExactly("v2", "models", "a b", "versions", "..%2Fx", "infer");
    }

    @Test
    void anEscapedSlashStaysInItsSegment() {
        assertThat(RequestPath.parse("/v2/models/a%2Fb/ready").segments()).containsExactly("v2", "models", "a/b",
                "ready");
    }

    @Test
    void aPlusIsAPlus() {
        assertThat(RequestPath.parse("/v2/models/m/versions/1+2").get(4)).isEqualTo("1+2");
    }

    @Test
    void keepsEmptySegments() {
        assertThat(RequestPath.parse("/v1/").segments()).containsExactly("v1", "");
        assertThat(RequestPath.parse("/").segments()).containsExactly("");
    }

    @Test
    void restJoinsTheSegmentsFromAnIndex() {
        assertThat(RequestPath.parse("/v1/models/meta-llama/Llama-3").rest(2)).isEqualTo("meta-llama/Llama-3");
        assertThat(RequestPath.parse("/v1/models").rest(2)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%zz", "/%", "/a%2", "/%C3%28", "/%FF", "relative", ""})
    void malformedPathsAreRefusedWithAReason(String raw) {
        assertThatThrownBy(() -> RequestPath.parse(raw)).isInstanceOf(RequestPath.MalformedPath.class)
                .hasMessageNotContaining("Exception");
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet50", "llama-3.1-8b", "1", "v2_final", "1+2", "org:model@v1"})
    void safeNames(String name) {
        assertThat(RequestPath.isSafeName(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a..b", "a/b", "a\\b", "a%2Fb", "a?b", "a#b", "a b", "a\tb", "a\u0000",
        "a\u007f", "a\u2028b", "名前", "a;b"})
    void unsafeNames(String name) {
        assertThat(RequestPath.isSafeName(name)).isFalse();
    }

    @Test
    void namesHaveAMostLength() {
        assertThat(RequestPath.isSafeName("m".repeat(256))).isTrue();
        assertThat(RequestPath.isSafeName("m".repeat(257))).isFalse();
    }
}
