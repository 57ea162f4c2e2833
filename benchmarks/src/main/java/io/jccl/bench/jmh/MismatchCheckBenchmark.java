package io.jccl.bench.jmh;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.transport.Inbox;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Segment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The cost of always-on mismatch detection: what a receive pays per segment to match (seq, tag) and compare
 * the sender's call (collective, type, op, root, count) with its own, with {@code queued} other segments
 * waiting ahead of it in the inbox. Compare the nanoseconds per segment with a segment's transfer time
 * (512 KiB at 1 GB/s: about 500 000 ns; an 8-byte all-reduce on loopback: tens of microseconds). The bytes on
 * the wire are the 48-byte frame header, which carries the call with or without the check.
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar MismatchCheckBenchmark -p queued=0,8
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MismatchCheckBenchmark {
    @Param({"0", "8"})
    public int queued;

    private Inbox inbox;
    private OpHeader header;
    private Segment segment;
    private long deadline;

    /** A segment that can be delivered again and again (release is a no-op). */
    private record Frame(OpHeader h, long tag) implements Segment {
        private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0);

        @Override public ByteBuffer buffer() { return EMPTY; }
        @Override public int offset() { return 0; }
        @Override public int length() { return 0; }
        @Override public long seq() { return h.seq(); }
        @Override public long tag() { return tag; }
        @Override public Collective collective() { return h.collective(); }
        @Override public DataType type() { return h.type(); }
        @Override public ReduceOp op() { return h.op(); }
        @Override public int root() { return h.root(); }
        @Override public long count() { return h.count(); }
        @Override public void release() { }
    }

    @Setup
    public void setup() {
        inbox = new Inbox(0, 1, "bench", 0);
        header = new OpHeader(1, 7, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 1 << 20);
        // segments of later operations waiting ahead (a rank that runs ahead): the check skips them by seq
        for (int i = 0; i < queued; i++) {
            inbox.deliver(new Frame(new OpHeader(1, 8 + i, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1,
                    1 << 20), 0));
        }
        segment = new Frame(header, 3);
        deadline = Long.MAX_VALUE;
    }

    /** Deliver one segment and take it back: matching by (seq, tag) plus the call comparison. */
    @Benchmark
    public Segment deliverAndTakeWithCheck() {
        inbox.deliver(segment);
        return inbox.take(header, 3, deadline);
    }
}
