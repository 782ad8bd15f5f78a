package ilb.inference;

/** The API a request came in on; errors are answered in that API's own shape. */
public enum Api {
    /** OpenAI-compatible: {@code {"error":{"message","type","code"}}}. */
    OPENAI,
    /** KServe v2 / Open Inference Protocol: {@code {"error":"..."}}. */
    KSERVE;

    /** The API served under a request path (a query may follow): KServe v2 under {@code /v2}, OpenAI elsewhere. */
    public static Api forPath(String path) {
        return path.startsWith("/v2") && (path.length() == 3 || path.charAt(3) == '/' || path.charAt(3) == '?')
                ? KSERVE : OPENAI;
    }
}
