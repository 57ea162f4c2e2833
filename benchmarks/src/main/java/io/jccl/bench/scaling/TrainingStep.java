package io.jccl.bench.scaling;

import io.jccl.trace.Timeline;
import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.buffer.HostBuffer;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;

/**
 * One rank's data-parallel training step with real compute: the forward and backward passes are fp32 GEMMs
 * through EJML ({@code CommonOps_FDRM.mult}, single-threaded, 2 s^3 FLOP each for s x s matrices), and the
 * gradients (a buffer of P elements of the gradient type) are all-reduced (AVG) bucket by bucket with
 * {@link Communicator#allReduceAsync}, each bucket issued as soon as its part of the backward pass is done
 * (PyTorch DDP's overlap; {@link ScalingModel} describes the schedule); or, built with a {@link StudyWire} that
 * says so, through comm-ddp's {@code GradientReducer} (its views, optionally a 16-bit wire).
 *
 * <p>The FLOP actually executed are whole GEMMs: {@link #flopsPerStep()} states them (the requested count
 * rounded to GEMMs).
 *
 * <p>Not thread-safe: one instance per rank, driven by that rank's thread.
 */
public final class TrainingStep implements AutoCloseable {
    private final ScalingModel.Workload work;
    private final HostBuffer grads;
    private final boolean ownsGrads;
    private String lastAlgorithm = "-";
    private final GradientExchange exchange;
    private final int buckets;
    private final FMatrixRMaj a;
    private final FMatrixRMaj b;
    private final FMatrixRMaj c;
    private final double flopsPerGemm;
    private final int forwardGemms;
    private final int[] backwardGemms;

    /**
     * @param gemmSize s of the s x s GEMMs the compute is made of (128: about 4.2 MFLOP each)
     */
    public TrainingStep(Communicator comm, ScalingModel.Workload work, DataType type, int gemmSize) {
        this(comm, work, type, gemmSize, HostBuffer.allocate(work.params(), type), true, StudyWire.DIRECT);
    }

    /**
     * As {@link #TrainingStep(Communicator, ScalingModel.Workload, DataType, int)} with the gradients in
     * {@code grads} (at least the workload's gradient bytes), which the caller keeps and closes: steps of several
     * world sizes on one rank can share it. Its contents are overwritten.
     */
    public TrainingStep(Communicator comm, ScalingModel.Workload work, DataType type, int gemmSize, HostBuffer grads) {
        this(comm, work, type, gemmSize, grads, false, StudyWire.DIRECT);
    }

    /**
     * As {@link #TrainingStep(Communicator, ScalingModel.Workload, DataType, int, HostBuffer)}, the gradients
     * exchanged as {@code wire} says: through the study's own all-reduces of {@code grads}, or through a
     * {@code GradientReducer} whose views hold them ({@code grads} then unused).
     */
    TrainingStep(Communicator comm, ScalingModel.Workload work, DataType type, int gemmSize, HostBuffer grads,
                 StudyWire wire) {
        this(comm, work, type, gemmSize, grads, false, wire);
    }

    private TrainingStep(Communicator comm, ScalingModel.Workload work, DataType type, int gemmSize, HostBuffer grads,
                         boolean ownsGrads, StudyWire wire) {
        if (type.bytes() != work.bytesPerParam()) {
            throw new IllegalArgumentException("gradient type " + type + " does not match " + work.bytesPerParam()
                    + " bytes per parameter");
        }
        if (grads.byteSize() < work.gradientBytes()) {
            throw new IllegalArgumentException("gradient buffer of " + grads.byteSize() + " bytes: the workload needs "
                    + work.gradientBytes());
        }
        this.work = work;
        this.grads = grads;
        this.ownsGrads = ownsGrads;
        long[] bucketBytes = work.buckets();
        this.buckets = bucketBytes.length;
        if (wire.reducer()) {
            this.exchange = new ReducerExchange(comm, bucketBytes, type, wire);
        } else {
            for (long i = 0; i < work.params(); i += 1) {
                grads.putFromDouble(type, i, initialGradient(comm.rank(), i));
            }
            this.exchange = new DirectExchange(comm, grads, bucketBytes, type);
        }
        this.a = new FMatrixRMaj(gemmSize, gemmSize);
        this.b = new FMatrixRMaj(gemmSize, gemmSize);
        this.c = new FMatrixRMaj(gemmSize, gemmSize);
        java.util.Random rnd = new java.util.Random(comm.rank());
        for (int i = 0; i < a.data.length; i++) {
            a.data[i] = rnd.nextFloat() - 0.5f;
            b.data[i] = rnd.nextFloat() - 0.5f;
        }
        this.flopsPerGemm = 2.0 * gemmSize * gemmSize * gemmSize;
        this.forwardGemms = (int) Math.round(work.flopsPerStep() * work.forwardFraction() / flopsPerGemm);
        double[] bw = work.backwardFlops();
        this.backwardGemms = new int[bw.length];
        for (int i = 0; i < bw.length; i++) {
            backwardGemms[i] = (int) Math.round(bw[i] / flopsPerGemm);
        }
    }

    /** The value gradient element {@code i} of rank {@code rank} starts with. */
    static double initialGradient(int rank, long i) {
        return (rank + 1) * 1e-3 * ((i % 97) + 1);
    }

    /** The FLOP one step executes (whole GEMMs). */
    public double flopsPerStep() {
        long n = forwardGemms;
        for (int g : backwardGemms) {
            n += g;
        }
        return n * flopsPerGemm;
    }

    private void gemms(int n) {
        for (int i = 0; i < n; i++) {
            CommonOps_FDRM.mult(a, b, c);
        }
        // keep the result alive so the JIT cannot drop the work
        if (c.data[0] == Float.MAX_VALUE) {
            a.data[0] = c.data[1];
        }
    }

    /** Forward and backward compute alone; returns seconds. */
    public double computeOnly() {
        long t0 = System.nanoTime();
        gemms(forwardGemms);
        for (int g : backwardGemms) {
            gemms(g);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Every bucket's all-reduce alone, issued back to back, then awaited; returns seconds. */
    public double commOnly() {
        long t0 = System.nanoTime();
        for (int i = 0; i < buckets; i++) {
            exchange.ready(i);
        }
        exchange.finish();
        long t1 = System.nanoTime();
        lastAlgorithm = exchange.lastAlgorithm();
        return (t1 - t0) / 1e9;
    }

    /**
     * One overlapped step: forward, backward bucket by bucket with each bucket's all-reduce issued at once; seconds.
     * With {@code JCCL_TIMELINE} the compute phases are spans on the timeline, beside the all-reduces.
     */
    public double step() {
        boolean traced = Timeline.enabled();
        long t0 = System.nanoTime();
        gemms(forwardGemms);
        long t = traced ? span("forward", t0) : 0;
        for (int i = 0; i < buckets; i++) {
            gemms(backwardGemms[i]);
            if (traced) {
                t = span("backward " + i, t);
            }
            exchange.ready(i);
        }
        exchange.finish();
        long t1 = System.nanoTime();
        lastAlgorithm = exchange.lastAlgorithm();
        return (t1 - t0) / 1e9;
    }

    private static long span(String name, long start) {
        long end = System.nanoTime();
        Timeline.span("compute", name, start, end);
        return end;
    }

    /** The algorithm of the last bucket's all-reduce ({@link Communicator#lastAlgorithm}) as of the last step. */
    public String lastAlgorithm() {
        return lastAlgorithm;
    }

    public ScalingModel.Workload workload() {
        return work;
    }

    @Override
    public void close() {
        exchange.close();
        if (ownsGrads) {
            grads.close();
        }
    }
}
