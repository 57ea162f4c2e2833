package io.jccl.bench;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import picocli.CommandLine.Option;

/**
 * The element type and reduction of the collectives a tool runs (a picocli mixin): {@code -d} and {@code -o}, as
 * nccl-tests names them. Set by picocli on the main thread, then read-only.
 */
public final class ReductionOptions {
    @Option(names = {"-d", "--datatype"}, defaultValue = "float",
            description = "float|double|half|bfloat16|int8|uint8|int32|int64 (also fp32, fp16, bf16, ...)")
    String datatype;

    @Option(names = {"-o", "--op"}, defaultValue = "sum", description = "sum|prod|min|max|avg")
    String op;

    /** {@code -d}; IllegalArgumentException naming the accepted names when it is none of them. */
    public DataType type() {
        return DataType.parse(datatype);
    }

    /** {@code -o}; IllegalArgumentException naming the accepted names when it is none of them. */
    public ReduceOp op() {
        return ReduceOp.parse(op);
    }
}
