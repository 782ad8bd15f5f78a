package ilb.inference;

/** The API a request came in on; errors are answered in that API's own shape. */
public enum Api {
    /** OpenAI-compatible: {@code {"error":{"message","type","code"}}}. */
    OPENAI,
    /** KServe v2 / Open Inference Protocol: {@code {"error":"..."}}. */
    KSERVE;

    /** The API served under a request path: KServe v2 under {@code /v2}, OpenAI everywhere else. */
    public static Api forPath(String path) {
        return path.equals("/v2") || path.startsWith("/v2/") ? KSERVE : OPENAI;
    }
}
