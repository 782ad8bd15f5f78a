package ilb.simulator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;

/**
 * The checks vLLM (its request schemas) and Triton make on a body before any work, so that tests and benchmarks get
 * the 400s (or gRPC's INVALID_ARGUMENT) real servers give. Each method takes a parsed JSON object or gRPC message
 * and returns what is wrong with it, or null.
 */
final class RequestValidation {

    private RequestValidation() {
    }

    /** {@code /v1/chat/completions}. */
    static String chat(JsonNode body) {
        String problem = generation(body);
        if (problem != null) {
            return problem;
        }
        JsonNode messages = body.get("messages");
        if (messages == null) {
            return "messages: Field required";
        }
        if (!messages.isArray() || messages.isEmpty()) {
            return "messages: Input should be a non-empty list";
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                return "messages." + i + ": Input should be an object";
            }
            if (!message.path("role").isTextual()) {
                return "messages." + i + ".role: Input should be a valid string";
            }
            // null or absent: an assistant message that only calls tools
            JsonNode content = message.path("content");
            if (!content.isTextual() && !content.isNull() && !content.isMissingNode() && !contentParts(content)) {
                return "messages." + i + ".content: Input should be a string, a list of content parts or null";
            }
        }
        return positiveInteger(body, "max_completion_tokens");
    }

    /** {@code /v1/completions}. */
    static String completion(JsonNode body) {
        String problem = generation(body);
        return problem != null ? problem : prompt(body, "prompt");
    }

    /** {@code /v1/embeddings}: its input has the shapes of a completion's prompt. */
    static String embedding(JsonNode body) {
        String problem = model(body);
        return problem != null ? problem : prompt(body, "input");
    }

    /**
     * KServe v2 infer. {@code binaryBytes} is how many raw bytes follow the JSON header when the binary extension is
     * used, else -1.
     */
    static String infer(JsonNode body, int binaryBytes) {
        JsonNode inputs = body.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            return "Unable to parse 'inputs': expected a non-empty array of tensors";
        }
        long binaryTotal = 0;
        for (JsonNode input : inputs) {
            if (!input.isObject()) {
                return "Unable to parse 'inputs': expected an object for each tensor";
            }
            JsonNode name = input.path("name");
            if (!name.isTextual()) {
                return "Unable to parse 'name' of an input tensor";
            }
            Datatype datatype = Datatype.of(input.path("datatype"));
            if (datatype == null) {
                return "invalid datatype '" + input.path("datatype").asText() + "' for input '" + name.textValue()
                        + "'";
            }
            long elements = elements(input.path("shape"));
            if (elements < 0) {
                return "Unable to parse 'shape' of input '" + name.textValue()
                        + "': expected a list of non-negative integers";
            }
            JsonNode binarySize = input.path("parameters").path("binary_data_size");
            if (binaryBytes >= 0 && !binarySize.isMissingNode()) {
                if (!binarySize.isIntegralNumber() || binarySize.longValue() < 0) {
                    return "Unable to parse 'binary_data_size' of input '" + name.textValue() + "'";
                }
                if (datatype.bytes > 0 && binarySize.longValue() != elements * datatype.bytes) {
                    return "unexpected total byte size " + binarySize.longValue() + " for input '" + name.textValue()
                            + "', expecting " + elements * datatype.bytes;
                }
                binaryTotal += binarySize.longValue();
                continue;
            }
            JsonNode data = input.path("data");
            if (!data.isArray()) {
                return "Unable to parse 'data' of input '" + name.textValue() + "': expected a list";
            }
            long count = count(data, datatype);
            if (count < 0) {
                return "Unable to parse 'data' of input '" + name.textValue() + "': expected " + datatype + " values";
            }
            if (count != elements) {
                return "unexpected number of elements " + count + " for input '" + name.textValue() + "', expecting "
                        + elements + " from its shape";
            }
        }
        if (binaryBytes >= 0 && binaryTotal != binaryBytes) {
            return "the inputs' binary_data_size add up to " + binaryTotal + " bytes, but " + binaryBytes
                    + " follow the inference header";
        }
        return null;
    }

    /**
     * KServe v2 infer over gRPC, as Triton checks it: each input has a name, a datatype and a shape of non-negative
     * dimensions; its data comes either as typed contents of its datatype, as many values as its shape holds, or as
     * one of {@code raw_input_contents} (one per input, none with contents), of the shape's size in bytes for a
     * fixed-size datatype.
     */
    static String infer(ModelInferRequest request) {
        if (request.getInputsCount() == 0) {
            return "the request has no inputs";
        }
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            return "expected " + request.getInputsCount() + " raw_input_contents, one per input, got "
                    + request.getRawInputContentsCount();
        }
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor input = request.getInputs(i);
            String name = input.getName();
            if (name.isEmpty()) {
                return "input " + i + " has no name";
            }
            if (input.getDatatype().isEmpty()) {
                return "input '" + name + "' has no datatype";
            }
            Datatype datatype = Datatype.of(input.getDatatype());
            if (datatype == null) {
                return "invalid datatype '" + input.getDatatype() + "' for input '" + name + "'";
            }
            if (input.getShapeCount() == 0) {
                return "input '" + name + "' has no shape";
            }
            long elements = elements(input.getShapeList());
            if (elements < 0) {
                return "input '" + name + "' has a negative dimension in its shape " + input.getShapeList();
            }
            if (raw) {
                if (input.hasContents()) {
                    return "input '" + name + "' has contents as well as raw_input_contents: send its data one way";
                }
                long bytes = request.getRawInputContents(i).size();
                if (datatype.bytes > 0 && bytes != elements * datatype.bytes) {
                    return "unexpected total byte size " + bytes + " for input '" + name + "', expecting "
                            + elements * datatype.bytes;
                }
                continue;
            }
            long count = datatype.count(input.getContents());
            if (count < 0) {
                return "input '" + name + "' of datatype " + datatype + " has no typed contents: send it in "
                        + "raw_input_contents";
            }
            if (count != total(input.getContents())) {
                return "the contents of input '" + name + "' hold values of another datatype than " + datatype;
            }
            if (count != elements) {
                return "unexpected number of elements " + count + " for input '" + name + "', expecting " + elements
                        + " from its shape";
            }
        }
        return null;
    }

    /** What chat and completion requests share. */
    private static String generation(JsonNode body) {
        String problem = model(body);
        if (problem == null) {
            problem = positiveInteger(body, "max_tokens");
        }
        if (problem == null) {
            problem = positiveInteger(body, "n");
        }
        JsonNode stream = body.path("stream");
        if (problem == null && !stream.isBoolean() && !stream.isNull() && !stream.isMissingNode()) {
            problem = "stream: Input should be a valid boolean";
        }
        return problem;
    }

    private static String model(JsonNode body) {
        JsonNode model = body.get("model");
        return model == null ? "model: Field required"
                : model.isTextual() ? null : "model: Input should be a valid string";
    }

    /** Absent or null (the schema's default) or an integer of at least 1. */
    private static String positiveInteger(JsonNode body, String field) {
        JsonNode value = body.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            return field + ": Input should be a valid integer";
        }
        return value.intValue() < 1 ? field + ": Input should be greater than or equal to 1" : null;
    }

    private static boolean contentParts(JsonNode content) {
        if (!content.isArray()) {
            return false;
        }
        for (JsonNode part : content) {
            if (!part.isObject()) {
                return false;
            }
        }
        return true;
    }

    /** A string, or a non-empty list of strings, of token ids or of non-empty lists of token ids. */
    private static String prompt(JsonNode body, String field) {
        JsonNode prompt = body.get(field);
        if (prompt == null) {
            return field + ": Field required";
        }
        if (prompt.isTextual()) {
            return null;
        }
        String wrong = field + ": Input should be a string, a list of strings, a list of token ids or a list of lists"
                + " of token ids";
        if (!prompt.isArray() || prompt.isEmpty()) {
            return wrong;
        }
        JsonNode first = prompt.get(0);
        for (JsonNode item : prompt) {
            boolean ok = first.isTextual() ? item.isTextual() : first.isArray() ? tokenIds(item) : tokenId(item);
            if (!ok) {
                return wrong;
            }
        }
        return null;
    }

    private static boolean tokenIds(JsonNode list) {
        if (!list.isArray() || list.isEmpty()) {
            return false;
        }
        for (JsonNode id : list) {
            if (!tokenId(id)) {
                return false;
            }
        }
        return true;
    }

    private static boolean tokenId(JsonNode id) {
        return id.isIntegralNumber() && id.canConvertToInt() && id.intValue() >= 0;
    }

    /**
     * The number of elements a shape holds, or -1 when a dimension is negative. More than any message could carry
     * counts as {@code Integer.MAX_VALUE}.
     */
    static long elements(List<Long> shape) {
        long elements = 1;
        for (long dim : shape) {
            if (dim < 0) {
                return -1;
            }
            elements = times(elements, dim);
        }
        return elements;
    }

    /** Elements times a dimension, up to {@code Integer.MAX_VALUE}: more than any body could carry. */
    private static long times(long elements, long dim) {
        return dim == 0 ? 0 : elements > Integer.MAX_VALUE / dim ? Integer.MAX_VALUE : elements * dim;
    }

    /** The values of all datatypes in typed contents. */
    private static long total(InferTensorContents contents) {
        return contents.getBoolContentsCount() + contents.getIntContentsCount() + contents.getInt64ContentsCount()
                + contents.getUintContentsCount() + contents.getUint64ContentsCount() + contents.getFp32ContentsCount()
                + contents.getFp64ContentsCount() + contents.getBytesContentsCount();
    }

    /** The number of elements a shape holds, or -1 when it is not a list of non-negative integers. */
    private static long elements(JsonNode shape) {
        if (!shape.isArray()) {
            return -1;
        }
        long elements = 1;
        for (JsonNode dim : shape) {
            if (!dim.isIntegralNumber() || !dim.canConvertToInt() || dim.intValue() < 0) {
                return -1;
            }
            elements = times(elements, dim.intValue());
        }
        return elements;
    }

    /** The values in data, flattened or nested, or -1 when one is not of the datatype. */
    private static long count(JsonNode data, Datatype datatype) {
        if (!data.isArray()) {
            return datatype.holds(data) ? 1 : -1;
        }
        long count = 0;
        for (JsonNode item : data) {
            long items = count(item, datatype);
            if (items < 0) {
                return -1;
            }
            count += items;
        }
        return count;
    }

    /** The KServe v2 tensor datatypes, with their size in bytes (0 for BYTES, whose elements vary). */
    private enum Datatype {
        BOOL(1), UINT8(1), UINT16(2), UINT32(4), UINT64(8), INT8(1), INT16(2), INT32(4), INT64(8), FP16(2), FP32(4),
        FP64(8), BYTES(0);

        private static final Map<String, Datatype> BY_NAME = new HashMap<>();

        static {
            for (Datatype datatype : values()) {
                BY_NAME.put(datatype.name(), datatype);
            }
        }

        final int bytes;

        Datatype(int bytes) {
            this.bytes = bytes;
        }

        static Datatype of(JsonNode name) {
            return name.isTextual() ? of(name.textValue()) : null;
        }

        static Datatype of(String name) {
            return BY_NAME.get(name);
        }

        /** The values typed contents hold in this datatype's field (as Triton reads them), or -1 if it has none. */
        long count(InferTensorContents contents) {
            return switch (this) {
                case BOOL -> contents.getBoolContentsCount();
                case INT8, INT16, INT32 -> contents.getIntContentsCount();
                case INT64 -> contents.getInt64ContentsCount();
                case UINT8, UINT16, UINT32 -> contents.getUintContentsCount();
                case UINT64 -> contents.getUint64ContentsCount();
                case FP32 -> contents.getFp32ContentsCount();
                case FP64 -> contents.getFp64ContentsCount();
                case BYTES -> contents.getBytesContentsCount();
                case FP16 -> -1;
            };
        }

        boolean holds(JsonNode value) {
            return switch (this) {
                case BOOL -> value.isBoolean();
                case BYTES -> value.isTextual();
                case FP16, FP32, FP64 -> value.isNumber();
                case UINT8, UINT16, UINT32, UINT64 -> value.isIntegralNumber() && value.doubleValue() >= 0;
                default -> value.isIntegralNumber();
            };
        }
    }
}
