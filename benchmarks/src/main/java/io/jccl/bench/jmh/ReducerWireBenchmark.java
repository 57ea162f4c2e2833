package io.jccl.bench.jmh;

import io.jccl.Algorithm;
import io.jccl.CommConfig;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.ddp.GradientReducer;
import io.jccl.ddp.WireFormat;
import io.jccl.reduce.HalfFloats;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * One fp32 gradient of {@code bytes} through the {@link GradientReducer} on W ranks as threads of the benchmark
 * JVM ({@link RankDriver}), by wire format, and its parts, so that where a compressed step's time goes can be read
 * off one run. {@code part}:
 * <ul>
 *   <li>{@code step}: {@code markReady} of a {@code float[]} gradient, then {@code finish()} (narrowing,
 *       all-reduces, widening: what a training step pays);</li>
 *   <li>{@code allreduce}: the all-reduces alone (AVG), issued as the reducer issues them: one of the whole
 *       buffer for fp32, one per wire segment of {@code segmentBytes} for a 16-bit wire;</li>
 *   <li>{@code convert}: narrowing and widening alone, no communication, from and to a {@code float[]} through a
 *       64 KiB direct staging chunk as the reducer does (every rank at once, as in a step).</li>
 * </ul>
 *
 * <p>Read the output: milliseconds per operation of rank 0. {@code step} of bf16 over {@code step} of fp32 is the
 * ratio the wire format buys; {@code allreduce} and {@code convert} say what it is made of.
 *
 * <pre>
 * java -jar benchmarks/target/jccl.jar ReducerWireBenchmark -p wire=fp32,bf16 -p part=step,allreduce,convert
 * </pre>
 *
 * <p>JMH state, one per trial; the ranks' threads live from setup to teardown.
 */
public class ReducerWireBenchmark extends LargeRankBenchmark {
    /** fp32 (uncompressed), bf16 or fp16. */
    @Param({"fp32", "bf16"})
    public String wire;

    /** step, allreduce or convert (see the class comment). */
    @Param({"step"})
    public String part;

    /** Bytes of the fp32 gradient. */
    @Param({"67108864"})
    public long bytes;

    /** The reducer's wire segment: largest all-reduce of a compressed bucket, wire bytes. */
    @Param({"4194304"})
    public long segmentBytes;

    /** World size W. */
    @Param({"2"})
    public int w;

    /** local, tcp (loopback TCP) or shm between the ranks' threads. */
    @Param({"tcp"})
    public String transport;

    @Override
    CommConfig config() {
        return forcing(Algorithm.RING);
    }

    @Override
    RankDriver.Body body(Communicator comm) {
        WireFormat format = WireFormat.valueOf(wire.toUpperCase(java.util.Locale.ROOT));
        int n = (int) (bytes / 4);
        float[] g = new float[n];
        Arrays.fill(g, 1e-3f * (comm.rank() + 1));
        switch (part) {
            case "step": return step(comm, format, g);
            case "allreduce": return allReduces(comm, format, n);
            case "convert": return convert(format, g);
            default: throw new IllegalArgumentException("part must be step, allreduce or convert, not " + part);
        }
    }

    /** Built at the first run (building is a collective call: every rank builds at once, on its own thread). */
    private RankDriver.Body step(Communicator comm, WireFormat format, float[] g) {
        GradientReducer[] r = new GradientReducer[1];
        return () -> {
            if (r[0] == null) {
                r[0] = GradientReducer.builder(comm).register("g", g).bucketCapBytes(bytes).wireFormat(format)
                        .wireSegmentBytes(segmentBytes).build();
                own(r[0]);
            }
            r[0].markReady(g);
            r[0].finish();
        };
    }

    private RankDriver.Body allReduces(Communicator comm, WireFormat format, int n) {
        DataType type = format.compresses() ? format.wireType() : DataType.FLOAT32;
        HostBuffer buf = own(HostBuffer.allocate(n, type));
        long perCall = format.compresses() ? Math.max(1, segmentBytes / 2) : n;
        int calls = (int) ((n + perCall - 1) / perCall);
        HostBuffer[] segs = new HostBuffer[calls];
        long[] counts = new long[calls];
        for (int k = 0; k < calls; k++) {
            long from = k * perCall;
            counts[k] = Math.min(n, from + perCall) - from;
            segs[k] = buf.slice(from * type.bytes(), counts[k] * type.bytes());
        }
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] fs = (CompletableFuture<Void>[]) new CompletableFuture<?>[calls];
        return () -> {
            for (int k = 0; k < calls; k++) {
                fs[k] = comm.allReduceAsync(segs[k], segs[k], counts[k], type, ReduceOp.AVG);
            }
            for (CompletableFuture<Void> f : fs) {
                f.join();
            }
        };
    }

    private static RankDriver.Body convert(WireFormat format, float[] g) {
        if (!format.compresses()) {
            return () -> { };
        }
        int chunk = 16384;
        ByteBuffer staging = ByteBuffer.allocateDirect(chunk * 4).order(ByteOrder.nativeOrder());
        FloatBuffer floats = staging.asFloatBuffer();
        ByteBuffer half = ByteBuffer.allocateDirect(g.length * 2).order(ByteOrder.nativeOrder());
        DataType type = format.wireType();
        return () -> {
            for (int at = 0; at < g.length; at += chunk) {
                int m = Math.min(chunk, g.length - at);
                floats.put(0, g, at, m);
                HalfFloats.narrow(type, staging, 0, null, 0, half, 2 * at, m);
            }
            for (int at = 0; at < g.length; at += chunk) {
                int m = Math.min(chunk, g.length - at);
                HalfFloats.widen(type, half, 2 * at, staging, 0, m);
                floats.get(0, g, at, m);
            }
        };
    }

    @Benchmark
    public void reducer() throws Exception {
        runOnce();
    }
}
