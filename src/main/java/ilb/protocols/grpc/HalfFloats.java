package ilb.protocols.grpc;

/**
 * The 16-bit floats of KServe's FP16 (IEEE 754 binary16) and BF16 (bfloat16) tensors, to and from {@code float}
 * (Java 17 has no {@code Float.floatToFloat16}). Narrowing rounds to nearest, ties to even, as hardware does.
 */
final class HalfFloats {

    private HalfFloats() {
    }

    /** The binary16 bits nearest {@code value}: too large is infinity, too small zero, NaN stays NaN. */
    static short toFp16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7f_ffff;
        if (exponent == 0xff) {
            // the quiet bit keeps a NaN whose payload is all in the dropped bits a NaN
            return (short) (sign | 0x7c00 | (mantissa == 0 ? 0 : 0x200 | mantissa >>> 13));
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (halfExponent <= 0) {
            // subnormal: value / 2^-24 with the implicit bit; below 2^-25 that rounds to zero
            if (halfExponent < -10) {
                return (short) sign;
            }
            return (short) (sign | roundShift(mantissa | 0x80_0000, 14 - halfExponent));
        }
        // a carry out of the mantissa moves to the next exponent, and past the largest to infinity: both right
        return (short) (sign | ((halfExponent << 10) + roundShift(mantissa, 13)));
    }

    /** The value of binary16 bits. */
    static float fromFp16(short half) {
        int sign = (half & 0x8000) << 16;
        int exponent = (half >>> 10) & 0x1f;
        int mantissa = half & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | mantissa << 13);
        }
        if (exponent == 0) {
            float subnormal = mantissa * 0x1p-24f;
            return sign == 0 ? subnormal : -subnormal;
        }
        return Float.intBitsToFloat(sign | (exponent + 127 - 15) << 23 | mantissa << 13);
    }

    /** The bfloat16 bits nearest {@code value} (the top half of its float bits, rounded). */
    static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) (bits >>> 16 | 0x40);
        }
        return (short) ((bits + 0x7fff + (bits >>> 16 & 1)) >>> 16);
    }

    /** The value of bfloat16 bits. */
    static float fromBf16(short bf16) {
        return Float.intBitsToFloat(bf16 << 16);
    }

    /** {@code value >> shift}, rounded to nearest, ties to even. */
    private static int roundShift(int value, int shift) {
        int kept = value >>> shift;
        int dropped = value & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        return dropped > half || dropped == half && (kept & 1) == 1 ? kept + 1 : kept;
    }
}
