package ilb.protocols.grpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferTensorContents;

/**
 * Tensors in raw form, the same in gRPC's {@code raw_*_contents} and REST's binary extension: elements row-major and
 * little-endian (BOOL one byte, 0 or 1), a BYTES element a 4-byte little-endian length and then its bytes.
 */
final class RawTensors {

    private RawTensors() {
    }

    /** Typed contents in raw form, in one array the result wraps. */
    static ByteString encode(Datatype type, InferTensorContents contents, String what) {
        int count = type.count(contents);
        long size = (long) count * type.size;
        if (type == Datatype.BYTES) {
            for (int i = 0; i < count; i++) {
                size += 4 + contents.getBytesContents(i).size();
            }
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new Unconvertible(what + " is too large to send raw (" + size + " bytes)");
        }
        ByteBuffer raw = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            switch (type) {
                case BOOL -> raw.put((byte) (contents.getBoolContents(i) ? 1 : 0));
                case UINT8, UINT16, UINT32 -> putNarrow(raw, type, Integer.toUnsignedLong(contents.getUintContents(i)),
                        what);
                case INT8, INT16, INT32 -> putNarrow(raw, type, contents.getIntContents(i), what);
                case UINT64 -> raw.putLong(contents.getUint64Contents(i));
                case INT64 -> raw.putLong(contents.getInt64Contents(i));
                case FP16 -> raw.putShort(HalfFloats.toFp16(contents.getFp32Contents(i)));
                case BF16 -> raw.putShort(HalfFloats.toBf16(contents.getFp32Contents(i)));
                case FP32 -> raw.putFloat(contents.getFp32Contents(i));
                case FP64 -> raw.putDouble(contents.getFp64Contents(i));
                case BYTES -> {
                    ByteString element = contents.getBytesContents(i);
                    raw.putInt(element.size());
                    element.copyTo(raw);
                }
            }
        }
        return UnsafeByteOperations.unsafeWrap(raw.array());
    }

    /** A raw tensor of fixed-size elements, to read little-endian (without copying), checked to hold whole elements. */
    static ByteBuffer elements(Datatype type, ByteString raw, String what) {
        if (raw.size() % type.size != 0) {
            throw new Unconvertible(what + " has " + raw.size() + " raw bytes, not a whole number of " + type
                    + " elements of " + type.size + " bytes");
        }
        return raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The elements of a raw BYTES tensor, each a view of {@code raw}. */
    static List<ByteString> bytesElements(ByteString raw, String what) {
        List<ByteString> elements = new ArrayList<>();
        ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            int length = buffer.remaining() < 4 ? -1 : buffer.getInt();
            if (length < 0 || length > buffer.remaining()) {
                throw new Unconvertible(what + " is not a raw BYTES tensor: element " + elements.size()
                        + " runs past its end");
            }
            int start = raw.size() - buffer.remaining();
            elements.add(raw.substring(start, start + length));
            buffer.position(buffer.position() + length);
        }
        return elements;
    }

    private static void putNarrow(ByteBuffer raw, Datatype type, long value, String what) {
        if (!type.fits(value)) {
            throw new Unconvertible(what + ": " + value + " is out of range for " + type);
        }
        switch (type.size) {
            case 1 -> raw.put((byte) value);
            case 2 -> raw.putShort((short) value);
            default -> raw.putInt((int) value);
        }
    }
}
