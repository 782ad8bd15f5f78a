package ilb.inference;

/** The API a request came in on; errors are answered in that API's own shape. */
public enum Api {
    /** OpenAI-compatible: {@code {"error":{"message","type","code"}}}. */
    OPENAI,
    /** KServe v2 / Open Inference Protocol: {@code {"error":"..."}}. */
    KSERVE
}
