package io.jccl.ddp;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.buffer.HostBuffer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reducer's buckets and the state of the step in flight: which gradients are ready (and in which order), and
 * how many buckets have started. A bucket's all-reduce starts when its last gradient is ready and every earlier
 * bucket has started, so every rank issues the same all-reduces in the same order. The layout is assigned by
 * {@link BucketAssignment} (first in reverse registration order) and can be rebuilt once in rank 0's order of
 * readiness ({@link #rebuild}).
 *
 * <p>Not thread-safe: driven by the reducer's calling thread.
 */
final class Buckets implements AutoCloseable {
    private final Param[] params;
    private final BucketSettings settings;
    private final WireCodec codec;
    private final boolean hasViews;
    private final int[] readyOrder;
    private Bucket[] buckets;
    private int nextLaunch;
    private int readyCount;
    private long blockedNanos;

    Buckets(Param[] params, BucketSettings settings) {
        this.params = params;
        this.settings = settings;
        this.codec = settings.newCodec();
        boolean views = false;
        for (Param p : params) {
            views |= p.kind == Param.Kind.VIEW;
        }
        this.hasViews = views;
        this.readyOrder = new int[params.length];
        int[] order = new int[params.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = params.length - 1 - i;
        }
        this.buckets = assign(order);
    }

    private Bucket[] assign(int[] order) {
        long[] bytes = new long[params.length];
        int[] group = new int[params.length];
        boolean[] alone = new boolean[params.length];
        for (Param p : params) {
            bytes[p.index] = p.bytes();
            group[p.index] = p.type.ordinal();
            alone[p.index] = p.kind == Param.Kind.IN_PLACE;
        }
        List<int[]> assignment = BucketAssignment.assign(order, bytes, group, alone, settings.capBytes());
        Bucket[] out = new Bucket[assignment.size()];
        for (int i = 0; i < out.length; i++) {
            int[] members = assignment.get(i);
            Param[] ps = new Param[members.length];
            for (int j = 0; j < members.length; j++) {
                ps[j] = params[members[j]];
            }
            out[i] = settings.newBucket(i, ps, codec);
            for (Param p : ps) {
                p.ready = false;
            }
        }
        for (Bucket bk : out) {
            bk.pending = bk.params.length;
        }
        return out;
    }

    /** Whether any registered gradient is a view of its bucket. */
    boolean hasViews() {
        return hasViews;
    }

    /** Gradients marked ready in this step. */
    int readyCount() {
        return readyCount;
    }

    /** Whether every gradient was marked ready in this step. */
    boolean allReady() {
        return readyCount == params.length;
    }

    /** Whether every bucket's all-reduce has started in this step. */
    boolean allLaunched() {
        return nextLaunch == buckets.length;
    }

    /**
     * Marks {@code p} ready (it was not): copies it into its bucket, and starts, in bucket order, every bucket
     * whose gradients are all ready and whose predecessors have started.
     */
    void ready(Param p, Communicator comm) {
        p.ready = true;
        readyOrder[readyCount++] = p.index;
        Bucket b = p.bucket;
        b.copyIn(p);
        if (--b.pending == 0) {
            while (nextLaunch < buckets.length && buckets[nextLaunch].pending == 0) {
                buckets[nextLaunch].launch(comm); // counted once issued: a refused launch is not waited for
                nextLaunch++;
            }
        }
    }

    /**
     * Waits for every started bucket, moving the averages where the gradients live when {@code copyOut} and no
     * bucket has failed before; waits for all of them even after a failure, then throws the first one.
     * {@link #blockedNanos()} then says how long it was blocked.
     */
    void complete(boolean copyOut, long waitMillis, int rank) {
        long blocked = 0;
        RuntimeException failure = null;
        for (int i = 0; i < nextLaunch; i++) {
            try {
                blocked += buckets[i].complete(copyOut && failure == null, waitMillis, rank);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        blockedNanos = blocked;
        if (failure != null) {
            throw failure;
        }
    }

    /** Nanoseconds the last {@link #complete} spent waiting for all-reduces that succeeded. */
    long blockedNanos() {
        return blockedNanos;
    }

    /**
     * Nanoseconds the all-reduces of the step just completed kept the communicator busy: from each bucket's start,
     * or the previous bucket's completion, to its completion, summed (timed buckets only).
     */
    long busyNanos() {
        long busy = 0;
        long prevDone = Long.MIN_VALUE;
        for (Bucket b : buckets) {
            long start = Math.max(b.launchNanos, prevDone);
            long done = b.doneNanos;
            busy += Math.max(0, done - start);
            prevDone = done;
        }
        return busy;
    }

    /** The gradients not marked ready in this step, in registration order. */
    List<Param> notReady() {
        List<Param> missing = new ArrayList<>();
        for (Param p : params) {
            if (!p.ready) {
                missing.add(p);
            }
        }
        return missing;
    }

    /** Starts a new step: no gradient ready, no bucket started. */
    void reset() {
        for (Param p : params) {
            p.ready = false;
        }
        for (Bucket b : buckets) {
            b.pending = b.params.length;
        }
        nextLaunch = 0;
        readyCount = 0;
    }

    /**
     * Rebuilds the buckets in the order in which gradients became ready in the last step on rank 0 (a broadcast
     * from rank 0: call it on every rank, after a complete step, before {@link #reset}'s step starts). Views get
     * new slices holding the same values; the old buckets' memory is freed, unless there are views (a caller
     * still holding an old view must not write into freed memory: the garbage collector frees it then).
     */
    void rebuild(Communicator comm) {
        int[] order = readyOrder.clone();
        try (HostBuffer ib = HostBuffer.allocate(order.length, DataType.INT32)) {
            for (int i = 0; i < order.length; i++) {
                ib.putInt(i, order[i]);
            }
            comm.broadcast(ib, order.length, DataType.INT32, 0);
            for (int i = 0; i < order.length; i++) {
                order[i] = ib.getInt(i);
            }
        }
        Map<Param, HostBuffer> oldViews = new IdentityHashMap<>();
        for (Param p : params) {
            if (p.kind == Param.Kind.VIEW) {
                oldViews.put(p, p.view);
            }
        }
        Bucket[] old = buckets;
        buckets = assign(order);
        for (Map.Entry<Param, HostBuffer> e : oldViews.entrySet()) {
            e.getKey().bucket.adoptView(e.getKey(), e.getValue());
        }
        if (!hasViews) {
            for (Bucket b : old) {
                b.close();
            }
        }
    }

    /** The parameter names of every bucket, in all-reduce order. */
    List<List<String>> layout() {
        List<List<String>> out = new ArrayList<>();
        for (Bucket b : buckets) {
            List<String> names = new ArrayList<>();
            for (Param p : b.params) {
                names.add(p.name);
            }
            out.add(Collections.unmodifiableList(names));
        }
        return Collections.unmodifiableList(out);
    }

    /** Bytes each step's all-reduces take as input, summed over buckets (in the wire type). */
    long wireBytes() {
        long n = 0;
        for (Bucket b : buckets) {
            n += b.wireBytes();
        }
        return n;
    }

    /** Waits for any all-reduce still in flight (ignoring its failure) and frees the buckets' memory. */
    void close(long waitMillis, int rank) {
        for (int i = 0; i < nextLaunch; i++) {
            try {
                buckets[i].complete(false, waitMillis, rank);
            } catch (RuntimeException ignored) {
                // closing: the failure was or will be reported by the communicator itself
            }
        }
        nextLaunch = 0;
        close();
    }

    /** Frees the buckets' memory (views become invalid). */
    @Override
    public void close() {
        for (Bucket b : buckets) {
            b.close();
        }
    }
}
