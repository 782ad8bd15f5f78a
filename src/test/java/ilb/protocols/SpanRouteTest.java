package ilb.protocols;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A request's span is named by its route, never by a model or a path a client makes up. */
class SpanRouteTest {

    @Test
    void openAiPathsAreTheirOwnRoutes() {
        assertThat(HttpEdge.route("/v1/chat/completions?x=1")).isEqualTo("/v1/chat/completions");
        assertThat(HttpEdge.route("/v1/models/secret-model")).isEqualTo("/v1/models/{model}");
        assertThat(HttpEdge.route("/v1/made-up")).isEqualTo("/v1");
    }

    @Test
    void kserveRoutesLeaveTheModelOut() {
        assertThat(HttpEdge.route("/v2/models/resnet/versions/2/infer")).isEqualTo("/v2/models/{model}/infer");
        assertThat(HttpEdge.route("/v2/models/resnet/ready")).isEqualTo("/v2/models/{model}");
        assertThat(HttpEdge.route("/v2/health/ready")).isEqualTo("/v2/health/ready");
        assertThat(HttpEdge.route("/anything/else")).isEqualTo("/");
    }
}
