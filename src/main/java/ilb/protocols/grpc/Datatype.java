package ilb.protocols.grpc;

import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferTensorContents;

/**
 * The KServe v2 tensor datatypes: the size of an element in raw form and the typed contents field that holds them
 * ({@code grpc_predict_v2.proto}: 8- to 32-bit integers widened to {@code int_contents} / {@code uint_contents}).
 * FP16 and BF16 have no typed field; inside the codec their values wait in {@code fp32_contents} on their way to raw.
 */
enum Datatype {
    BOOL(1), UINT8(1), UINT16(2), UINT32(4), UINT64(8), INT8(1), INT16(2), INT32(4), INT64(8), FP16(2), BF16(2),
    FP32(4), FP64(8), BYTES(0);

    /** Bytes per element in raw form; 0 for BYTES, whose elements are each a 4-byte length and that many bytes. */
    final int size;

    Datatype(int size) {
        this.size = size;
    }

    /** The datatype a tensor names. */
    static Datatype of(String name, String what) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new Unconvertible(what + " has an unknown datatype '" + name + "'");
        }
    }

    /** Whether a gRPC message can carry its values typed; FP16 and BF16 go raw only. */
    boolean typed() {
        return this != FP16 && this != BF16;
    }

    /** How many of its values {@code contents} holds, in its field. */
    int count(InferTensorContents contents) {
        return switch (this) {
            case BOOL -> contents.getBoolContentsCount();
            case UINT8, UINT16, UINT32 -> contents.getUintContentsCount();
            case UINT64 -> contents.getUint64ContentsCount();
            case INT8, INT16, INT32 -> contents.getIntContentsCount();
            case INT64 -> contents.getInt64ContentsCount();
            case FP16, BF16, FP32 -> contents.getFp32ContentsCount();
            case FP64 -> contents.getFp64ContentsCount();
            case BYTES -> contents.getBytesContentsCount();
        };
    }

    /** Whether all of {@code contents} is in this datatype's field: values elsewhere would be lost. */
    boolean holdsAll(InferTensorContents contents) {
        int all = contents.getBoolContentsCount() + contents.getUintContentsCount()
                + contents.getUint64ContentsCount() + contents.getIntContentsCount() + contents.getInt64ContentsCount()
                + contents.getFp32ContentsCount() + contents.getFp64ContentsCount() + contents.getBytesContentsCount();
        return all == count(contents);
    }

    /**
     * Whether an integer (for an unsigned datatype, its unsigned value) fits an element of this datatype. Not for
     * UINT64, whose every 64-bit pattern is a value.
     */
    boolean fits(long value) {
        return switch (this) {
            case INT8 -> value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE;
            case INT16 -> value >= Short.MIN_VALUE && value <= Short.MAX_VALUE;
            case INT32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            case UINT8 -> value >= 0 && value <= 0xff;
            case UINT16 -> value >= 0 && value <= 0xffff;
            case UINT32 -> value >= 0 && value <= 0xffff_ffffL;
            default -> true;
        };
    }
}
