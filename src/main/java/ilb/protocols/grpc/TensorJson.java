package ilb.protocols.grpc;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.google.protobuf.ByteString;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferTensorContents;

/**
 * A tensor's values as REST's {@code data}: a JSON array, flat or nested as its shape, of booleans (BOOL), integers,
 * numbers (FP*; NaN and infinities as the strings Jackson writes for them) or strings (BYTES, as UTF-8). Read
 * value by value into typed contents and written from typed or raw contents, without boxing an element.
 */
final class TensorJson {

    private static final BigInteger UINT64_LIMIT = BigInteger.ONE.shiftLeft(64);

    private TensorJson() {
    }

    /**
     * The values of {@code data} (the parser at its opening bracket) as typed contents; FP16 and BF16 ones in
     * {@code fp32_contents}. The data must hold as many values as the shape, flat or nested exactly as the shape.
     */
    static InferTensorContents read(JsonParser data, Datatype datatype, long[] shape, String what) throws IOException {
        if (data.currentToken() != JsonToken.START_ARRAY) {
            throw new Unconvertible("the data of " + what + " must be a JSON array");
        }
        return new Reader(data, datatype, shape, what).read();
    }

    /** Whether JSON can carry the tensor's values: not when they are BYTES that are not UTF-8 text. */
    static boolean fits(Tensor tensor) {
        if (tensor.datatype() != Datatype.BYTES) {
            return true;
        }
        Iterable<ByteString> elements = tensor.raw() != null
                ? RawTensors.bytesElements(tensor.raw(), tensor.what()) : tensor.contents().getBytesContentsList();
        for (ByteString element : elements) {
            if (!element.isValidUtf8()) {
                return false;
            }
        }
        return true;
    }

    /** The tensor's values as a flat JSON array. */
    static void write(JsonGenerator json, Tensor tensor) throws IOException {
        json.writeStartArray();
        if (tensor.raw() != null) {
            writeRaw(json, tensor.datatype(), tensor.raw(), tensor.what());
        } else {
            writeTyped(json, tensor.datatype(), tensor.contents());
        }
        json.writeEndArray();
    }

    private static void writeTyped(JsonGenerator json, Datatype datatype, InferTensorContents contents)
            throws IOException {
        int count = datatype.count(contents);
        for (int i = 0; i < count; i++) {
            switch (datatype) {
                case BOOL -> json.writeBoolean(contents.getBoolContents(i));
                case UINT8, UINT16, UINT32 -> json.writeNumber(Integer.toUnsignedLong(contents.getUintContents(i)));
                case UINT64 -> writeUnsigned(json, contents.getUint64Contents(i));
                case INT8, INT16, INT32 -> json.writeNumber(contents.getIntContents(i));
                case INT64 -> json.writeNumber(contents.getInt64Contents(i));
                case FP16, BF16, FP32 -> json.writeNumber(contents.getFp32Contents(i));
                case FP64 -> json.writeNumber(contents.getFp64Contents(i));
                case BYTES -> json.writeString(contents.getBytesContents(i).toStringUtf8());
            }
        }
    }

    private static void writeRaw(JsonGenerator json, Datatype datatype, ByteString raw, String what)
            throws IOException {
        if (datatype == Datatype.BYTES) {
            for (ByteString element : RawTensors.bytesElements(raw, what)) {
                json.writeString(element.toStringUtf8());
            }
            return;
        }
        ByteBuffer values = RawTensors.elements(datatype, raw, what);
        while (values.hasRemaining()) {
            switch (datatype) {
                case BOOL -> json.writeBoolean(values.get() != 0);
                case UINT8 -> json.writeNumber(values.get() & 0xff);
                case UINT16 -> json.writeNumber(values.getShort() & 0xffff);
                case UINT32 -> json.writeNumber(values.getInt() & 0xffff_ffffL);
                case UINT64 -> writeUnsigned(json, values.getLong());
                case INT8 -> json.writeNumber(values.get());
                case INT16 -> json.writeNumber(values.getShort());
                case INT32 -> json.writeNumber(values.getInt());
                case INT64 -> json.writeNumber(values.getLong());
                case FP16 -> json.writeNumber(HalfFloats.fromFp16(values.getShort()));
                case BF16 -> json.writeNumber(HalfFloats.fromBf16(values.getShort()));
                case FP32 -> json.writeNumber(values.getFloat());
                case FP64 -> json.writeNumber(values.getDouble());
                case BYTES -> throw new IllegalStateException("BYTES elements have no fixed size");
            }
        }
    }

    private static void writeUnsigned(JsonGenerator json, long value) throws IOException {
        if (value >= 0) {
            json.writeNumber(value);
        } else {
            json.writeNumber(Long.toUnsignedString(value));
        }
    }

    /** One {@code data} array, read into typed contents. */
    private static final class Reader {
        private final JsonParser data;
        private final Datatype datatype;
        private final long[] shape;
        private final String what;
        private final InferTensorContents.Builder contents = InferTensorContents.newBuilder();

        Reader(JsonParser data, Datatype datatype, long[] shape, String what) {
            this.data = data;
            this.datatype = datatype;
            this.shape = shape;
            this.what = what;
        }

        InferTensorContents read() throws IOException {
            JsonToken first = data.nextToken();
            if (first == JsonToken.START_ARRAY) {
                level(0, first);
            } else {
                long count = 0;
                for (JsonToken token = first; token != JsonToken.END_ARRAY; token = data.nextToken()) {
                    value(token);
                    count++;
                }
                long elements = 1;
                for (long dimension : shape) {
                    elements *= dimension;
                }
                if (count != elements) {
                    throw new Unconvertible(what + " has " + count + " values, but its shape "
                            + Arrays.toString(shape) + " holds " + elements);
                }
            }
            return contents.build();
        }

        /** The arrays nested {@code depth} deep, their first token read: each has as many items as its dimension. */
        private void level(int depth, JsonToken first) throws IOException {
            boolean innermost = depth == shape.length - 1;
            long items = 0;
            for (JsonToken token = first; token != JsonToken.END_ARRAY; token = data.nextToken()) {
                if (depth >= shape.length || innermost == (token == JsonToken.START_ARRAY)) {
                    throw new Unconvertible("the data of " + what + " is not nested as its shape "
                            + Arrays.toString(shape));
                }
                if (innermost) {
                    value(token);
                } else {
                    level(depth + 1, data.nextToken());
                }
                items++;
            }
            if (items != shape[depth]) {
                throw new Unconvertible("the data of " + what + " does not match its shape " + Arrays.toString(shape)
                        + ": dimension " + depth + " has " + items + ", not " + shape[depth]);
            }
        }

        private void value(JsonToken token) throws IOException {
            switch (datatype) {
                case BOOL -> {
                    if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) {
                        throw notA(token);
                    }
                    contents.addBoolContents(token == JsonToken.VALUE_TRUE);
                }
                case UINT8, UINT16, UINT32 -> contents.addUintContents((int) narrow(token));
                case INT8, INT16, INT32 -> contents.addIntContents((int) narrow(token));
                case INT64 -> contents.addInt64Contents(int64(token));
                case UINT64 -> contents.addUint64Contents(uint64(token));
                // read as a float, not a double then rounded again: the float a client wrote is the one it gets
                case FP16, BF16, FP32 -> contents.addFp32Contents(token.isNumeric() ? data.getFloatValue()
                        : (float) special(token));
                case FP64 -> contents.addFp64Contents(token.isNumeric() ? data.getDoubleValue() : special(token));
                case BYTES -> {
                    if (token != JsonToken.VALUE_STRING) {
                        throw notA(token);
                    }
                    contents.addBytesContents(ByteString.copyFromUtf8(data.getText()));
                }
            }
        }

        private long narrow(JsonToken token) throws IOException {
            long value = int64(token);
            if (!datatype.fits(value)) {
                throw outOfRange();
            }
            return value;
        }

        private long int64(JsonToken token) throws IOException {
            if (token != JsonToken.VALUE_NUMBER_INT) {
                throw notA(token);
            }
            try {
                return data.getLongValue();
            } catch (InputCoercionException e) {
                throw outOfRange();
            }
        }

        private long uint64(JsonToken token) throws IOException {
            if (token != JsonToken.VALUE_NUMBER_INT) {
                throw notA(token);
            }
            BigInteger value = data.getBigIntegerValue();
            if (value.signum() < 0 || value.compareTo(UINT64_LIMIT) >= 0) {
                throw outOfRange();
            }
            return value.longValue();
        }

        /** A number, or one of the strings Jackson writes for the floats JSON has no number for. */
        private double special(JsonToken token) throws IOException {
            if (token == JsonToken.VALUE_STRING) {
                switch (data.getText()) {
                    case "NaN" -> {
                        return Double.NaN;
                    }
                    case "Infinity" -> {
                        return Double.POSITIVE_INFINITY;
                    }
                    case "-Infinity" -> {
                        return Double.NEGATIVE_INFINITY;
                    }
                    default -> {
                    }
                }
            }
            throw notA(token);
        }

        private Unconvertible notA(JsonToken token) throws IOException {
            String value = token == JsonToken.VALUE_STRING ? '"' + data.getText() + '"'
                    : token.isStructStart() ? (token == JsonToken.START_ARRAY ? "an array" : "an object")
                    : data.getText();
            return new Unconvertible(what + ": " + value + " is not a value of its datatype " + datatype);
        }

        private Unconvertible outOfRange() throws IOException {
            return new Unconvertible(what + ": " + data.getText() + " is out of range for " + datatype);
        }
    }
}
