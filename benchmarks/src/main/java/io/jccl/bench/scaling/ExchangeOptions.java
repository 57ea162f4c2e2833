package io.jccl.bench.scaling;

import io.jccl.Knob;
import io.jccl.ddp.GradientReducer;
import io.jccl.ddp.WireFormat;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * {@code jccl-scaling}'s options of how the step exchanges gradients (a picocli mixin): {@code --reducer} runs it
 * through comm-ddp's {@code GradientReducer}, {@code --wire} picks the reducer's wire format,
 * {@code --error-feedback} and {@code --wire-segment} its settings. Set by picocli, then read-only: not thread-safe
 * while it is being parsed.
 */
final class ExchangeOptions {
    @Option(names = "--reducer", description = "exchange the gradients through comm-ddp's GradientReducer (one view per"
            + " bucket, markReady as each backward part ends, finish) instead of the study's own allReduceAsync calls")
    boolean reducer;

    @Option(names = "--wire", defaultValue = "fp32", description = "the reducer's wire format of fp32 gradients:"
            + " fp32|bf16|fp16 (needs --reducer; default: ${DEFAULT-VALUE})")
    String wire;

    @Option(names = "--error-feedback", description = "with a 16-bit --wire: the reducer's error feedback")
    boolean errorFeedback;

    @Option(names = "--wire-segment", defaultValue = "4M", description = "largest all-reduce of a compressed bucket,"
            + " wire bytes, K/M/G (the reducer's wireSegmentBytes; default: ${DEFAULT-VALUE})")
    String wireSegment;

    /** The exchange the options describe; throws IllegalArgumentException naming the option at fault. */
    StudyWire toWire() {
        WireFormat format;
        try {
            format = WireFormat.valueOf(wire.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--wire must be fp32, bf16 or fp16, not " + wire, e);
        }
        long seg = wireSegment == null ? GradientReducer.DEFAULT_WIRE_SEGMENT_BYTES : Knob.parseSize(wireSegment);
        return new StudyWire(reducer, format, errorFeedback, seg);
    }
}
