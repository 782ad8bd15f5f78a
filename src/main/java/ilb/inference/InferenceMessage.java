package ilb.inference;

/**
 * What an inference exchange carries as its body: the request on the way in, one of the responses on the way out.
 * The HTTP entry writes each kind back in the client's API.
 */
public sealed interface InferenceMessage permits InferenceRequest, HttpReply, BackendStream, BackendFailure, ApiError {
}
