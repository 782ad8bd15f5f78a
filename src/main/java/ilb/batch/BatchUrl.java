package ilb.batch;

import java.util.Set;

import ilb.protocols.RequestPath;

/**
 * Which {@code url} a batch job may name: exactly one of the API's inference paths, as written. A batch url is not
 * percent-encoded, so nothing is decoded and a {@code %} is refused rather than read: what is accepted here is what
 * reaches the backend's request line, with no query, escape or dot-segment to smuggle another path through.
 */
final class BatchUrl {

    /** What the dead letter of a job with any other url says. */
    static final String ACCEPTED = "'url' must be /v1/chat/completions, /v1/completions, /v1/embeddings or"
            + " /v2/models/{model}[/versions/{version}]/infer, with no query string or %-escape; a model or version"
            + " is printable ASCII without / ? # % \\ ; or '..'";

    private static final Set<String> OPENAI = Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");
    private static final String KSERVE = "/v2/models/";
    private static final String INFER = "/infer";
    private static final String VERSIONS = "/versions/";

    private BatchUrl() {
    }

    static boolean accepted(String url) {
        if (OPENAI.contains(url)) {
            return true;
        }
        if (!url.startsWith(KSERVE) || !url.endsWith(INFER)) {
            return false;
        }
        String between = url.substring(KSERVE.length(), url.length() - INFER.length());
        int versions = between.indexOf(VERSIONS);
        if (versions < 0) {
            return RequestPath.isSafeName(between);
        }
        return RequestPath.isSafeName(between.substring(0, versions))
                && RequestPath.isSafeName(between.substring(versions + VERSIONS.length()));
    }
}
