package io.jccl.bench.train;

import io.jccl.Communicator;
import io.jccl.ddp.GradientReducer;
import io.jccl.ddp.WireFormat;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code jccl-train --reducer-bench SIZE}: the time of one gradient all-reduce through the {@link GradientReducer}
 * (markReady of one {@code float[]} of SIZE bytes, then finish: copy or narrowing in, the all-reduce, copy or
 * widening out) for each wire format, and the bytes the calling thread allocates per step once warm. Every rank
 * runs the same steps, in rounds over the formats (waited: the median time finish() was blocked on all-reduces;
 * the rest is copying, narrowing and widening on the calling thread); rank 0 prints the median over {@code reps}
 * rounds (after {@code warmup}) and each format's median over fp32's. The calling thread's allocation includes the
 * communicator's issue path (one call per bucket, or per wire segment of a compressed bucket, --wire-segment).
 */
final class ReducerBench {
    private ReducerBench() {
    }

    static void run(Communicator comm, long bytes, long segmentBytes, int warmup, int reps, PrintStream out) {
        if (bytes < 4 || bytes / 4 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--reducer-bench " + bytes + ": must be 4 B to 8 GiB");
        }
        float[] g;
        try {
            g = new float[(int) (bytes / 4)];
        } catch (OutOfMemoryError e) {
            throw tooLarge(bytes, "heap", e);
        }
        String[] names = {"fp32", "bf16", "bf16+ef", "fp16"};
        WireFormat[] formats = {WireFormat.FP32, WireFormat.BF16, WireFormat.BF16, WireFormat.FP16};
        boolean[] ef = {false, false, true, false};
        double fp32Ms = 0;
        if (out != null) {
            out.printf(Locale.ROOT, "# reducer bench: %s, %d ranks; one float[] gradient of %d bytes (%d elements),"
                            + " one bucket, compressed in segments of %d wire bytes; median of %d rounds after %d%n",
                    comm.transportDescription(), comm.size(), bytes, g.length, segmentBytes, reps, warmup);
            out.println("#    wire    median(ms)   min(ms)   vs fp32  waited(ms)   alloc(B/step)");
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        GradientReducer[] reducers = new GradientReducer[formats.length];
        double[][] ms = new double[formats.length][reps];
        double[][] waited = new double[formats.length][reps];
        long[] allocated = new long[formats.length];
        try {
            for (int f = 0; f < formats.length; f++) {
                reducers[f] = build(comm, formats[f], ef[f], g, segmentBytes, bytes);
            }
            // rounds over the formats, so that a slow spell of the machine falls on every format alike
            for (int s = 0; s < warmup + reps; s++) {
                for (int f = 0; f < formats.length; f++) {
                    Arrays.fill(g, 0.001f * (comm.rank() + 1));
                    comm.barrier();
                    long a0 = mx.getThreadAllocatedBytes(tid);
                    long t0 = System.nanoTime();
                    reducers[f].markReady(g);
                    reducers[f].finish();
                    long t1 = System.nanoTime();
                    long a1 = mx.getThreadAllocatedBytes(tid);
                    if (s >= warmup) {
                        ms[f][s - warmup] = (t1 - t0) / 1e6;
                        waited[f][s - warmup] = reducers[f].lastWaitNanos() / 1e6;
                        allocated[f] += a1 - a0;
                    }
                }
            }
        } finally {
            for (GradientReducer r : reducers) {
                if (r != null) {
                    r.close();
                }
            }
        }
        for (int f = 0; f < formats.length; f++) {
            double[] sorted = ms[f].clone();
            Arrays.sort(sorted);
            double median = sorted[reps / 2];
            double[] w = waited[f].clone();
            Arrays.sort(w);
            if (f == 0) {
                fp32Ms = median;
            }
            if (out != null) {
                out.printf(Locale.ROOT, "%9s  %11.3f  %9.3f  %8.2fx  %10.3f  %14d%n", names[f], median, sorted[0],
                        median / fp32Ms, w[reps / 2], allocated[f] / reps);
            }
        }
    }

    /** One format's reducer over {@code g}; a bucket the JVM's direct memory cannot hold is named as such. */
    private static GradientReducer build(Communicator comm, WireFormat format, boolean ef, float[] g, long segmentBytes,
                                         long bytes) {
        try {
            return GradientReducer.builder(comm).wireFormat(format).errorFeedback(ef).register("g", g)
                    .wireSegmentBytes(segmentBytes).bucketCapBytes(bytes).build();
        } catch (OutOfMemoryError e) {
            throw tooLarge(bytes, "direct", e);
        }
    }

    private static IllegalArgumentException tooLarge(long bytes, String memory, OutOfMemoryError e) {
        return new IllegalArgumentException("--reducer-bench " + bytes + ": memory for a " + bytes
                + "-byte gradient and its four reducers' buckets is more than this JVM's " + memory + " memory limit"
                + " allows (" + e.getMessage() + "); give a smaller size, or raise -Xmx / -XX:MaxDirectMemorySize"
                + " through JCCL_JAVA_OPTS");
    }
}
