package io.jccl;

/**
 * Element types that every collective accepts.
 *
 * <p>All types are stored in the platform's native byte order in host buffers and on the wire.
 * {@link #FLOAT16} is IEEE 754 binary16; {@link #BFLOAT16} is the upper half of a binary32. Arithmetic on
 * both is done in fp32 and rounded to nearest-even when stored back (see {@link io.jccl.reduce.HalfFloats}).
 * Integer arithmetic wraps like Java arithmetic on that width; {@link #UINT8} is unsigned.
 *
 * <p>Immutable; safe to share between threads.
 */
public enum DataType {
    FLOAT32(4, "float"),
    FLOAT64(8, "double"),
    FLOAT16(2, "half"),
    BFLOAT16(2, "bfloat16"),
    INT8(1, "int8"),
    UINT8(1, "uint8"),
    INT32(4, "int32"),
    INT64(8, "int64");

    private final int bytes;
    private final String ncclName;

    DataType(int bytes, String ncclName) {
        this.bytes = bytes;
        this.ncclName = ncclName;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The name nccl-tests prints for this type ("float", "half", "bfloat16", ...). */
    public String ncclName() {
        return ncclName;
    }

    /** True for the four floating-point types. */
    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64 || this == FLOAT16 || this == BFLOAT16;
    }

    /**
     * Parses a type name as the command-line tools accept it: the enum name in any case, nccl-tests'
     * names ({@code float}, {@code half}, {@code double}), or the short forms {@code fp32}, {@code fp16},
     * {@code bf16}, {@code fp64}.
     *
     * @throws IllegalArgumentException naming the accepted spellings when {@code name} is none of them
     */
    public static DataType parse(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        switch (n) {
            case "float": case "float32": case "fp32": case "f32": return FLOAT32;
            case "double": case "float64": case "fp64": case "f64": return FLOAT64;
            case "half": case "float16": case "fp16": case "f16": return FLOAT16;
            case "bfloat16": case "bf16": return BFLOAT16;
            case "int8": case "i8": case "char": return INT8;
            case "uint8": case "u8": return UINT8;
            case "int32": case "int": case "i32": return INT32;
            case "int64": case "long": case "i64": return INT64;
            default:
                throw new IllegalArgumentException("unknown data type '" + name
                        + "': expected one of float32|float64|float16|bfloat16|int8|uint8|int32|int64"
                        + " (or float, double, half, bf16, fp16, fp32, fp64)");
        }
    }
}
