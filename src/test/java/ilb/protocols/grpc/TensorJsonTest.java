package ilb.protocols.grpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.google.protobuf.ByteString;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferTensorContents;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorJsonTest {

    private static final JsonFactory JSON = new JsonFactory();

    @Test
    void readsEachDatatypeIntoItsField() throws IOException {
        assertThat(flat(Datatype.BOOL, "[true,false]").getBoolContentsList()).containsExactly(true, false);
        assertThat(flat(Datatype.INT8, "[-128,127]").getIntContentsList()).containsExactly(-128, 127);
        assertThat(flat(Datatype.INT16, "[-32768,32767]").getIntContentsList()).containsExactly(-32768, 32767);
        assertThat(flat(Datatype.INT32, "[-2147483648,2147483647]").getIntContentsList())
                .containsExactly(Integer.MIN_VALUE, Integer.MAX_VALUE);
        assertThat(flat(Datatype.INT64, "[-9223372036854775808,9223372036854775807]").getInt64ContentsList())
                .containsExactly(Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(flat(Datatype.UINT8, "[0,255]").getUintContentsList()).containsExactly(0, 255);
        assertThat(flat(Datatype.UINT16, "[0,65535]").getUintContentsList()).containsExactly(0, 65535);
        // uint32 in Java's int: its bits
        assertThat(flat(Datatype.UINT32, "[0,4294967295]").getUintContentsList()).containsExactly(0, -1);
        assertThat(flat(Datatype.UINT64, "[1,18446744073709551615]").getUint64ContentsList()).containsExactly(1L, -1L);
        assertThat(flat(Datatype.FP32, "[1.5,-2,1e-3]").getFp32ContentsList()).containsExactly(1.5f, -2f, 1e-3f);
        assertThat(flat(Datatype.FP16, "[0.5,65504]").getFp32ContentsList()).containsExactly(0.5f, 65504f);
        assertThat(flat(Datatype.BF16, "[0.5,-1]").getFp32ContentsList()).containsExactly(0.5f, -1f);
        assertThat(flat(Datatype.FP64, "[0.1,-1e300]").getFp64ContentsList()).containsExactly(0.1, -1e300);
        assertThat(flat(Datatype.BYTES, "[\"héllo\",\"\"]").getBytesContentsList())
                .containsExactly(ByteString.copyFromUtf8("héllo"), ByteString.EMPTY);
    }

    @Test
    void aFloatIsReadAsTheFloatItsTextNames() throws IOException {
        // just below halfway between 1 + 2^-23 and 1 + 2^-22: read as a double it would be halfway, then rounded
        // to the even float, 1 + 2^-22
        assertThat(flat(Datatype.FP32, "[1.00000017881393432617187499,\"NaN\",\"-Infinity\"]")
                .getFp32ContentsList()).containsExactly(1 + 0x1p-23f, Float.NaN, Float.NEGATIVE_INFINITY);
    }

    @Test
    void nestedDataIsFlattenedWhenItIsNestedAsTheShape() throws IOException {
        assertThat(read(Datatype.INT32, "[[1,2,3],[4,5,6]]", 2, 3).getIntContentsList())
                .containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(read(Datatype.INT32, "[1,2,3,4,5,6]", 2, 3).getIntContentsList()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(read(Datatype.INT32, "[[[1],[2]]]", 1, 2, 1).getIntContentsList()).containsExactly(1, 2);
        assertThat(read(Datatype.INT32, "[[],[]]", 2, 0).getIntContentsCount()).isZero();
        assertThat(read(Datatype.INT32, "[7]").getIntContentsList()).as("a scalar's shape is []").containsExactly(7);
    }

    @Test
    void dataThatDoesNotMatchItsShapeIsUnconvertible() {
        assertThatThrownBy(() -> read(Datatype.INT32, "[[1,2],[3,4,5]]", 2, 3))
                .isInstanceOf(Unconvertible.class)
                .hasMessage("the data of input 'x' does not match its shape [2, 3]: dimension 1 has 2, not 3");
        assertThatThrownBy(() -> read(Datatype.INT32, "[[1,2,3]]", 2, 3))
                .hasMessage("the data of input 'x' does not match its shape [2, 3]: dimension 0 has 1, not 2");
        assertThatThrownBy(() -> read(Datatype.INT32, "[[1,[2],3],[4,5,6]]", 2, 3))
                .hasMessage("the data of input 'x' is not nested as its shape [2, 3]");
        assertThatThrownBy(() -> read(Datatype.INT32, "[[1,2,3]]", 3))
                .hasMessage("the data of input 'x' is not nested as its shape [3]");
        assertThatThrownBy(() -> read(Datatype.INT32, "[1,2,3,4,5]", 2, 3))
                .hasMessage("input 'x' has 5 values, but its shape [2, 3] holds 6");
        assertThatThrownBy(() -> read(Datatype.INT32, "[1,[2]]", 2))
                .hasMessage("input 'x': an array is not a value of its datatype INT32");
    }

    @Test
    void valuesNotOfTheDatatypeAreUnconvertible() {
        assertThatThrownBy(() -> read(Datatype.FP32, "[1.0,\"abc\"]", 2)).isInstanceOf(Unconvertible.class)
                .hasMessage("input 'x': \"abc\" is not a value of its datatype FP32");
        assertThatThrownBy(() -> flat(Datatype.INT32, "[1.5]"))
                .hasMessage("input 'x': 1.5 is not a value of its datatype INT32");
        assertThatThrownBy(() -> flat(Datatype.BOOL, "[1]"))
                .hasMessage("input 'x': 1 is not a value of its datatype BOOL");
        assertThatThrownBy(() -> flat(Datatype.BYTES, "[null]"))
                .hasMessage("input 'x': null is not a value of its datatype BYTES");
        assertThatThrownBy(() -> flat(Datatype.FP64, "[{}]"))
                .hasMessage("input 'x': an object is not a value of its datatype FP64");
        assertThatThrownBy(() -> flat(Datatype.INT8, "[128]")).hasMessage("input 'x': 128 is out of range for INT8");
        assertThatThrownBy(() -> flat(Datatype.UINT8, "[-1]")).hasMessage("input 'x': -1 is out of range for UINT8");
        assertThatThrownBy(() -> flat(Datatype.UINT32, "[4294967296]"))
                .hasMessage("input 'x': 4294967296 is out of range for UINT32");
        assertThatThrownBy(() -> flat(Datatype.INT64, "[9223372036854775808]"))
                .hasMessage("input 'x': 9223372036854775808 is out of range for INT64");
        assertThatThrownBy(() -> flat(Datatype.UINT64, "[18446744073709551616]"))
                .hasMessage("input 'x': 18446744073709551616 is out of range for UINT64");
    }

    @Test
    void writesTypedContentsAsTheirJsonValues() throws IOException {
        assertThat(write(Datatype.UINT32, InferTensorContents.newBuilder().addUintContents(-1).addUintContents(7)))
                .isEqualTo("[4294967295,7]");
        assertThat(write(Datatype.UINT64, InferTensorContents.newBuilder().addUint64Contents(-1)))
                .isEqualTo("[18446744073709551615]");
        assertThat(write(Datatype.BOOL, InferTensorContents.newBuilder().addBoolContents(true)))
                .isEqualTo("[true]");
        assertThat(write(Datatype.FP32, InferTensorContents.newBuilder().addFp32Contents(1.5f)
                .addFp32Contents(Float.NaN))).isEqualTo("[1.5,\"NaN\"]");
        assertThat(write(Datatype.BYTES, InferTensorContents.newBuilder().addBytesContents(
                ByteString.copyFromUtf8("a\"b")))).isEqualTo("[\"a\\\"b\"]");
    }

    @Test
    void writesRawContentsDecodedLittleEndian() throws IOException {
        assertThat(writeRaw(Datatype.INT16, 0x01, 0x80, 0xff, 0x7f)).isEqualTo("[-32767,32767]");
        assertThat(writeRaw(Datatype.UINT16, 0x01, 0x80)).isEqualTo("[32769]");
        assertThat(writeRaw(Datatype.UINT8, 0xff, 0x00)).isEqualTo("[255,0]");
        assertThat(writeRaw(Datatype.INT8, 0xff)).isEqualTo("[-1]");
        assertThat(writeRaw(Datatype.BOOL, 0x01, 0x00)).isEqualTo("[true,false]");
        assertThat(writeRaw(Datatype.UINT32, 0xff, 0xff, 0xff, 0xff)).isEqualTo("[4294967295]");
        assertThat(writeRaw(Datatype.FP16, 0x00, 0x3c, 0x01, 0x00)).isEqualTo("[1.0," + 0x1p-24f + "]");
        assertThat(writeRaw(Datatype.BF16, 0x49, 0x40)).isEqualTo("[3.140625]");
        assertThat(writeRaw(Datatype.FP32, 0x00, 0x00, 0xc0, 0x3f)).isEqualTo("[1.5]");
        assertThat(writeRaw(Datatype.BYTES, 2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0)).isEqualTo("[\"hi\",\"\"]");
    }

    @Test
    void rawThatIsNotWholeElementsIsUnconvertible() {
        assertThatThrownBy(() -> writeRaw(Datatype.FP32, 1, 2, 3)).isInstanceOf(Unconvertible.class)
                .hasMessage("input 'x' has 3 raw bytes, not a whole number of FP32 elements of 4 bytes");
        assertThatThrownBy(() -> writeRaw(Datatype.BYTES, 5, 0, 0, 0, 'a'))
                .hasMessage("input 'x' is not a raw BYTES tensor: element 0 runs past its end");
    }

    @Test
    void bytesThatAreNotUtf8DoNotFitJson() {
        ByteString notUtf8 = ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xfe});
        assertThat(TensorJson.fits(typed(Datatype.BYTES, InferTensorContents.newBuilder()
                .addBytesContents(ByteString.copyFromUtf8("ok")).addBytesContents(notUtf8)))).isFalse();
        assertThat(TensorJson.fits(typed(Datatype.BYTES, InferTensorContents.newBuilder()
                .addBytesContents(ByteString.copyFromUtf8("ok"))))).isTrue();
        assertThat(TensorJson.fits(raw(Datatype.BYTES, 2, 0, 0, 0, 0xff, 0xfe))).isFalse();
        assertThat(TensorJson.fits(raw(Datatype.BYTES, 1, 0, 0, 0, 'a'))).isTrue();
    }

    private static InferTensorContents read(Datatype datatype, String data, long... shape) throws IOException {
        try (JsonParser parser = JSON.createParser(data)) {
            parser.nextToken();
            return TensorJson.read(parser, datatype, shape, "input 'x'");
        }
    }

    /** Flat data with a shape that holds all its values. */
    private static InferTensorContents flat(Datatype datatype, String data) throws IOException {
        return read(datatype, data, data.split(",", -1).length);
    }

    private static String write(Datatype datatype, InferTensorContents.Builder contents) throws IOException {
        return json(typed(datatype, contents));
    }

    private static String writeRaw(Datatype datatype, int... bytes) throws IOException {
        return json(raw(datatype, bytes));
    }

    private static Tensor typed(Datatype datatype, InferTensorContents.Builder contents) {
        return new Tensor("input 'x'", "x", datatype, new long[] {datatype.count(contents.build())}, Map.of(),
                contents.build(), null);
    }

    private static Tensor raw(Datatype datatype, int... bytes) {
        byte[] raw = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        return new Tensor("input 'x'", "x", datatype, new long[] {-1}, Map.of(), null, ByteString.copyFrom(raw));
    }

    private static String json(Tensor tensor) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            TensorJson.write(json, tensor);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
