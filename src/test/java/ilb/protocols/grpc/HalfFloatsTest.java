package ilb.protocols.grpc;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HalfFloatsTest {

    @Test
    void knownFp16Values() {
        assertThat(fp16(1.0f)).isEqualTo(0x3c00);
        assertThat(fp16(-2.0f)).isEqualTo(0xc000);
        assertThat(fp16(0.0f)).isEqualTo(0x0000);
        assertThat(fp16(-0.0f)).isEqualTo(0x8000);
        assertThat(fp16(65504f)).isEqualTo(0x7bff);
        // 0.1 is between 0x2e66 and 0x2e67, nearer the first
        assertThat(fp16(0.1f)).isEqualTo(0x2e66);
        assertThat(fp16(0x1p-14f)).as("smallest normal").isEqualTo(0x0400);
        assertThat(fp16(0x1p-24f)).as("smallest subnormal").isEqualTo(0x0001);
        assertThat(fp16(0x3ffp-24f)).as("largest subnormal").isEqualTo(0x03ff);
        assertThat(fp16(Float.POSITIVE_INFINITY)).isEqualTo(0x7c00);
        assertThat(fp16(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
        assertThat(Float.isNaN(HalfFloats.fromFp16(HalfFloats.toFp16(Float.NaN)))).isTrue();
        assertThat(fp16(Float.MIN_VALUE)).as("a float subnormal").isEqualTo(0x0000);

        assertThat(HalfFloats.fromFp16((short) 0x3c00)).isEqualTo(1.0f);
        assertThat(HalfFloats.fromFp16((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(HalfFloats.fromFp16((short) 0x03ff)).isEqualTo(0x3ffp-24f);
        assertThat(HalfFloats.fromFp16((short) 0x7bff)).isEqualTo(65504f);
        assertThat(HalfFloats.fromFp16((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(HalfFloats.fromFp16((short) 0x8000))).isEqualTo(0x8000_0000);
        assertThat(HalfFloats.fromFp16((short) 0x7e00)).isNaN();
    }

    @Test
    void fp16RoundsToNearestTiesToEven() {
        // halfway between 1 and the next half (1 + 2^-10): to the even one, 1
        assertThat(fp16(1 + 0x1p-11f)).isEqualTo(0x3c00);
        // halfway between 1 + 2^-10 and 1 + 2^-9: to the even one, 1 + 2^-9
        assertThat(fp16(1 + 3 * 0x1p-11f)).isEqualTo(0x3c02);
        assertThat(fp16(1 + 0x1p-11f + 0x1p-20f)).as("past halfway").isEqualTo(0x3c01);
        // 65520 is halfway between 65504 and the next (65536, too large): to the even one, infinity
        assertThat(fp16(65519.99f)).isEqualTo(0x7bff);
        assertThat(fp16(65520f)).isEqualTo(0x7c00);
        // subnormals: 2^-25 is halfway between 0 and 2^-24 (to 0); 3 * 2^-25 between 2^-24 and 2^-23 (to 2^-23)
        assertThat(fp16(0x1p-25f)).isEqualTo(0x0000);
        assertThat(fp16(0x1.0001p-25f)).isEqualTo(0x0001);
        assertThat(fp16(3 * 0x1p-25f)).isEqualTo(0x0002);
        assertThat(fp16(-3 * 0x1p-25f)).isEqualTo(0x8002);
        // the largest subnormal and a half rounds up into the smallest normal
        assertThat(fp16(0x3ffp-24f + 0x1p-25f)).isEqualTo(0x0400);
    }

    @Test
    void everyFp16ValueComesBackFromFloat() {
        for (int bits = 0; bits <= 0xffff; bits++) {
            float value = HalfFloats.fromFp16((short) bits);
            if (!Float.isNaN(value)) {
                assertThat(fp16(value)).as("0x%04x", bits).isEqualTo(bits);
            }
        }
    }

    @Test
    void knownBf16Values() {
        assertThat(bf16(1.0f)).isEqualTo(0x3f80);
        assertThat(bf16(-2.0f)).isEqualTo(0xc000);
        assertThat(bf16((float) Math.PI)).isEqualTo(0x4049);
        assertThat(bf16(Float.POSITIVE_INFINITY)).isEqualTo(0x7f80);
        assertThat(bf16(Float.MAX_VALUE)).as("rounds past the largest").isEqualTo(0x7f80);
        assertThat(HalfFloats.fromBf16(HalfFloats.toBf16(Float.NaN))).isNaN();
        // a NaN whose payload is all in the low half stays a NaN
        assertThat(HalfFloats.fromBf16(HalfFloats.toBf16(Float.intBitsToFloat(0x7f80_0001)))).isNaN();
        // halfway: to the even one
        assertThat(bf16(Float.intBitsToFloat(0x3f80_8000))).isEqualTo(0x3f80);
        assertThat(bf16(Float.intBitsToFloat(0x3f81_8000))).isEqualTo(0x3f82);
        assertThat(bf16(Float.intBitsToFloat(0x3f80_8001))).isEqualTo(0x3f81);
        assertThat(bf16(Float.intBitsToFloat(0x0000_8001))).as("subnormal").isEqualTo(0x0001);
        assertThat(HalfFloats.fromBf16((short) 0x4049)).isEqualTo(3.140625f);
        for (int bits = 0; bits <= 0xffff; bits++) {
            float value = HalfFloats.fromBf16((short) bits);
            if (!Float.isNaN(value)) {
                assertThat(bf16(value)).as("0x%04x", bits).isEqualTo(bits);
            }
        }
    }

    private static int fp16(float value) {
        return HalfFloats.toFp16(value) & 0xffff;
    }

    private static int bf16(float value) {
        return HalfFloats.toBf16(value) & 0xffff;
    }
}
