package io.jccl.ddp;

import io.jccl.DataType;

/**
 * How a {@link GradientReducer} sends FLOAT32 gradients (its communication hook; PyTorch DDP's
 * {@code fp16_compress_hook} and {@code bf16_compress_hook}, Horovod's {@code Compression.fp16}).
 *
 * <p>{@link #BF16} and {@link #FP16} round each fp32 gradient to nearest-even in the 16-bit type, all-reduce
 * (AVG) in that type (every addition computed in fp32 and rounded to the 16-bit type, as JCCL does for every
 * 16-bit reduction), and widen the result back to fp32 exactly: half the bytes on the wire. FP16 overflows to
 * infinity above 65504 and loses gradients below about 6e-8; BF16 keeps fp32's range with 8 bits of mantissa.
 * With {@link GradientReducer.Builder#errorFeedback(boolean) error feedback}, each rank keeps its rounding
 * residual and adds it to the next step's gradient, so that what a rank rounds away is sent later instead of lost
 * (Seide et al. 2014, "1-bit SGD"; Karimireddy et al. 2019, "EF-SGD").
 *
 * <p>Compression applies to FLOAT32 gradients only; gradients of other types always travel in their own type.
 * Immutable.
 */
public enum WireFormat {
    /** No compression: every bucket travels in its gradients' own type (fp32 gradients as fp32). */
    FP32(null),
    /** FLOAT32 gradients travel as bfloat16 (2 bytes per element). */
    BF16(DataType.BFLOAT16),
    /** FLOAT32 gradients travel as IEEE binary16 (2 bytes per element). */
    FP16(DataType.FLOAT16);

    private final DataType wireType;

    WireFormat(DataType wireType) {
        this.wireType = wireType;
    }

    /** The 16-bit type FLOAT32 gradients travel as, or null for {@link #FP32}. */
    public DataType wireType() {
        return wireType;
    }

    /** True when FLOAT32 gradients are narrowed for the wire. */
    public boolean compresses() {
        return wireType != null;
    }
}
