package io.jccl.buffer;

import io.jccl.DataType;
import io.jccl.reduce.HalfFloats;

import java.nio.ByteBuffer;

/**
 * One element of a {@link DataType} at a byte index of a native-order {@code ByteBuffer}, read or written as a
 * double, a long or its raw bits: the conversions behind {@link HostBuffer}'s element accessors. Stateless.
 */
final class Elements {
    private Elements() {
    }

    static double getAsDouble(ByteBuffer bytes, int at, DataType type) {
        switch (type) {
            case FLOAT32: return bytes.getFloat(at);
            case FLOAT64: return bytes.getDouble(at);
            case FLOAT16: return HalfFloats.fp16ToFloat(bytes.getShort(at));
            case BFLOAT16: return HalfFloats.bf16ToFloat(bytes.getShort(at));
            case INT8: return bytes.get(at);
            case UINT8: return bytes.get(at) & 0xff;
            case INT32: return bytes.getInt(at);
            case INT64: return bytes.getLong(at);
            default: throw new AssertionError(type);
        }
    }

    static void putFromDouble(ByteBuffer bytes, int at, DataType type, double value) {
        switch (type) {
            case FLOAT32: bytes.putFloat(at, (float) value); break;
            case FLOAT64: bytes.putDouble(at, value); break;
            case FLOAT16: bytes.putShort(at, HalfFloats.floatToFp16((float) value)); break;
            case BFLOAT16: bytes.putShort(at, HalfFloats.floatToBf16((float) value)); break;
            case INT8: case UINT8: bytes.put(at, (byte) (long) value); break;
            case INT32: bytes.putInt(at, (int) (long) value); break;
            case INT64: bytes.putLong(at, (long) value); break;
            default: throw new AssertionError(type);
        }
    }

    static long getAsLong(ByteBuffer bytes, int at, DataType type) {
        switch (type) {
            case INT8: return bytes.get(at);
            case UINT8: return bytes.get(at) & 0xff;
            case INT32: return bytes.getInt(at);
            case INT64: return bytes.getLong(at);
            default: return (long) getAsDouble(bytes, at, type);
        }
    }

    static void putFromLong(ByteBuffer bytes, int at, DataType type, long value) {
        switch (type) {
            case INT8: case UINT8: bytes.put(at, (byte) value); break;
            case INT32: bytes.putInt(at, (int) value); break;
            case INT64: bytes.putLong(at, value); break;
            default: putFromDouble(bytes, at, type, value);
        }
    }

    static long getBits(ByteBuffer bytes, int at, DataType type) {
        switch (type.bytes()) {
            case 1: return bytes.get(at);
            case 2: return bytes.getShort(at);
            case 4: return bytes.getInt(at);
            default: return bytes.getLong(at);
        }
    }
}
