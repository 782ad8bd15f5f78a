package ilb.protocols.grpc;

import com.google.protobuf.ByteString;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferTensorContents;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RawTensorsTest {

    @Test
    void encodesEachDatatypeLittleEndian() {
        assertThat(encode(Datatype.BOOL, InferTensorContents.newBuilder().addBoolContents(true).addBoolContents(false)))
                .containsExactly(1, 0);
        assertThat(encode(Datatype.INT8, InferTensorContents.newBuilder().addIntContents(-1))).containsExactly(0xff);
        assertThat(encode(Datatype.INT16, InferTensorContents.newBuilder().addIntContents(-2)))
                .containsExactly(0xfe, 0xff);
        assertThat(encode(Datatype.INT32, InferTensorContents.newBuilder().addIntContents(0x01020304)))
                .containsExactly(4, 3, 2, 1);
        assertThat(encode(Datatype.INT64, InferTensorContents.newBuilder().addInt64Contents(0x0102030405060708L)))
                .containsExactly(8, 7, 6, 5, 4, 3, 2, 1);
        assertThat(encode(Datatype.UINT8, InferTensorContents.newBuilder().addUintContents(255))).containsExactly(0xff);
        assertThat(encode(Datatype.UINT16, InferTensorContents.newBuilder().addUintContents(0x8001)))
                .containsExactly(0x01, 0x80);
        assertThat(encode(Datatype.UINT32, InferTensorContents.newBuilder().addUintContents(-1)))
                .containsExactly(0xff, 0xff, 0xff, 0xff);
        assertThat(encode(Datatype.UINT64, InferTensorContents.newBuilder().addUint64Contents(-1L)))
                .containsExactly(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
        assertThat(encode(Datatype.FP16, InferTensorContents.newBuilder().addFp32Contents(1.0f)))
                .containsExactly(0, 0x3c);
        assertThat(encode(Datatype.BF16, InferTensorContents.newBuilder().addFp32Contents(1.0f)))
                .containsExactly(0x80, 0x3f);
        assertThat(encode(Datatype.FP32, InferTensorContents.newBuilder().addFp32Contents(1.5f)))
                .containsExactly(0, 0, 0xc0, 0x3f);
        assertThat(encode(Datatype.FP64, InferTensorContents.newBuilder().addFp64Contents(1.5)))
                .containsExactly(0, 0, 0, 0, 0, 0, 0xf8, 0x3f);
        assertThat(encode(Datatype.BYTES, InferTensorContents.newBuilder()
                .addBytesContents(ByteString.copyFromUtf8("hi")).addBytesContents(ByteString.EMPTY)))
                .containsExactly(2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0);
    }

    @Test
    void typedValuesOutOfTheirDatatypesRangeAreUnconvertible() {
        assertThatThrownBy(() -> encode(Datatype.INT8, InferTensorContents.newBuilder().addIntContents(300)))
                .isInstanceOf(Unconvertible.class).hasMessage("input 'x': 300 is out of range for INT8");
        assertThatThrownBy(() -> encode(Datatype.UINT16, InferTensorContents.newBuilder().addUintContents(70000)))
                .hasMessage("input 'x': 70000 is out of range for UINT16");
    }

    @Test
    void splitsRawBytesIntoItsElements() {
        ByteString raw = ByteString.copyFrom(new byte[] {1, 0, 0, 0, 'a', 0, 0, 0, 0, 2, 0, 0, 0, 'b', 'c'});
        assertThat(RawTensors.bytesElements(raw.substring(0), "input 'x'")).containsExactly(
                ByteString.copyFromUtf8("a"), ByteString.EMPTY, ByteString.copyFromUtf8("bc"));
        // a view into a larger array: the elements are found from its own start
        assertThat(RawTensors.bytesElements(raw.substring(5), "input 'x'")).containsExactly(ByteString.EMPTY,
                ByteString.copyFromUtf8("bc"));
        assertThatThrownBy(() -> RawTensors.bytesElements(raw.substring(0, 3), "input 'x'"))
                .hasMessage("input 'x' is not a raw BYTES tensor: element 0 runs past its end");
    }

    private static int[] encode(Datatype datatype, InferTensorContents.Builder contents) {
        byte[] raw = RawTensors.encode(datatype, contents.build(), "input 'x'").toByteArray();
        int[] unsigned = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            unsigned[i] = raw[i] & 0xff;
        }
        return unsigned;
    }
}
