package ilb.protocols.grpc;

import java.io.IOException;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

/**
 * What every server needs of a gRPC {@code ModelInferRequest}, checked before ilb routes it. The message is walked,
 * not parsed: no field is copied, so a request of many megabytes costs no second copy here.
 */
public final class InferRequestCheck {

    /** {@code ModelInferRequest.inputs}. */
    private static final int INPUTS = 5;
    /** {@code ModelInferRequest.raw_input_contents}. */
    private static final int RAW_INPUT_CONTENTS = 7;
    /** {@code InferInputTensor}'s name, datatype, shape and contents. */
    private static final int NAME = 1;
    private static final int DATATYPE = 2;
    private static final int SHAPE = 3;
    private static final int CONTENTS = 5;

    private InferRequestCheck() {
    }

    /**
     * Why a {@code ModelInferRequest} is not one a server can run (not a message; no inputs; an input without a
     * name, a datatype or a shape, or with a negative dimension; raw contents not one per input; typed contents
     * and raw contents both), or null when it is. The contents are not checked against the shapes: servers do.
     */
    public static String malformed(byte[] modelInferRequest) {
        CodedInputStream in = CodedInputStream.newInstance(modelInferRequest);
        int inputs = 0;
        int rawContents = 0;
        boolean typedContents = false;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = WireFormat.getTagFieldNumber(tag);
                boolean delimited = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
                if (field == INPUTS && delimited) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    Tensor tensor = tensor(in);
                    in.popLimit(limit);
                    if (!tensor.complete()) {
                        return "inputs[" + inputs + "] must have a name, a datatype and a shape";
                    }
                    if (tensor.negativeDimension()) {
                        return "inputs[" + inputs + "].shape must be non-negative integers";
                    }
                    typedContents |= tensor.typedContents();
                    inputs++;
                } else if (field == RAW_INPUT_CONTENTS && delimited) {
                    in.skipField(tag);
                    rawContents++;
                } else if (field <= 3 && delimited) {
                    // model_name, model_version, id: strings, so UTF-8, or servers refuse the message
                    in.readStringRequireUtf8();
                } else {
                    in.skipField(tag);
                }
            }
        } catch (IOException e) {
            return "the request is not a ModelInferRequest message: " + e.getMessage();
        }
        if (inputs == 0) {
            return "the request must have one or more inputs";
        }
        if (rawContents > 0 && rawContents != inputs) {
            return "raw_input_contents must hold one entry per input: " + inputs + " inputs, " + rawContents
                    + " raw_input_contents";
        }
        if (rawContents > 0 && typedContents) {
            return "an input's data goes in its contents or in raw_input_contents, not both";
        }
        return null;
    }

    private record Tensor(boolean complete, boolean negativeDimension, boolean typedContents) {
    }

    /** The input tensor {@code in} holds up to its limit. */
    private static Tensor tensor(CodedInputStream in) throws IOException {
        boolean name = false;
        boolean datatype = false;
        int dimensions = 0;
        boolean negative = false;
        boolean typedContents = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int wireType = WireFormat.getTagWireType(tag);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NAME -> name = wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED
                        && !in.readStringRequireUtf8().isEmpty();
                case DATATYPE -> datatype = wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED
                        && !in.readStringRequireUtf8().isEmpty();
                case SHAPE -> {
                    if (wireType == WireFormat.WIRETYPE_VARINT) {
                        negative |= in.readInt64() < 0;
                        dimensions++;
                    } else if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        // packed, as proto3 writes repeated numbers
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) {
                            negative |= in.readInt64() < 0;
                            dimensions++;
                        }
                        in.popLimit(limit);
                    } else {
                        in.skipField(tag);
                    }
                }
                case CONTENTS -> {
                    if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        // any field of InferTensorContents is data: empty fields are not written
                        int length = in.readRawVarint32();
                        typedContents |= length > 0;
                        in.skipRawBytes(length);
                    } else {
                        in.skipField(tag);
                    }
                }
                default -> in.skipField(tag);
            }
        }
        return new Tensor(name && datatype && dimensions > 0, negative, typedContents);
    }
}
