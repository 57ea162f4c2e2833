package io.jccl.bench.perf;

import io.jccl.Communicator;
import io.jccl.bench.WarmUp;

/**
 * {@code jccl-perf}'s warm-up before the sweep ({@code --jit-warmup-ms}): runs the collective at the small size (-b
 * when it is at most {@link #SMALL_BYTES}, else 1 KiB), 256 KiB and min(max(-e, 256 KiB), 8 MiB) in turn until rank 0
 * has spent {@code jitWarmupMs} (the ranks agree on when to stop through an all-reduce of rank 0's elapsed time),
 * then, when -b is at most {@link #SMALL_BYTES}, {@link #SMALL_CALLS} times at -b or for another {@code jitWarmupMs},
 * whichever ends first. A
 * collective call; stateless.
 */
final class JitWarmup {
    /** Small-call warm-up: with a sweep from at most SMALL_BYTES, this many calls of its first size come first. */
    static final int SMALL_CALLS = 20_000;
    static final long SMALL_BYTES = 64 * 1024;

    private JitWarmup() {
    }

    /** The warm-up's longest time in ms, for the line printed before it. */
    static long maxMillis(SizeRange sizes, long jitWarmupMs) {
        return sizes.minBytes() <= SMALL_BYTES ? 2 * jitWarmupMs : jitWarmupMs;
    }

    /** Runs the warm-up of {@code call} on {@code comm}; nothing when {@code jitWarmupMs} is 0 or for a barrier. */
    static void run(Communicator comm, PerfCall call, SizeRange range, long jitWarmupMs) {
        if (jitWarmupMs <= 0 || call.coll() == PerfCollective.BARRIER) {
            return;
        }
        int w = comm.size();
        // small, mid-size and large messages in turn: the JIT compiles every path, and the kernel's TCP buffer
        // auto-tuning grows the socket buffers as they are in a job that has run for a while
        long large = Math.min(Math.max(range.maxBytes(), 256 * 1024), 8 << 20);
        // the small size is the sweep's first when that is small: with auto, a size of its own may run another
        // algorithm (64 KiB runs hier on 2 hosts x 2 ranks, 1 KiB rd), whose path the 20,000 calls below would
        // leave compiled instead (the first row then took 1.5-1.9x forced hier's and ring's time on the namespace
        // cluster, the same algorithm)
        long small = range.minBytes() <= SMALL_BYTES ? range.minBytes() : Math.min(range.minBytes(), 1024);
        long[] sizes = {small, 256 * 1024, large};
        PerfCollective.Buffers[] bufs = new PerfCollective.Buffers[sizes.length];
        long[] totals = new long[sizes.length];
        try {
            for (int k = 0; k < sizes.length; k++) {
                totals[k] = call.totalCount(Math.max(sizes[k], (long) w * call.type().bytes()), w);
                bufs[k] = call.allocate(totals[k], w, false);
                call.fill(bufs[k], totals[k], comm.rank(), w);
            }
            WarmUp.repeatFor(comm, jitWarmupMs, () -> {
                for (int k = 0; k < sizes.length; k++) {
                    for (int i = 0; i < (k == sizes.length - 1 ? 2 : 20); i++) {
                        call.run(comm, bufs[k], totals[k]);
                    }
                }
            });
            if (range.minBytes() <= SMALL_BYTES) {
                smallCalls(comm, call, bufs[0], totals[0], jitWarmupMs);
            }
        } finally {
            for (PerfCollective.Buffers b : bufs) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    /**
     * Last, right before the sweep: a small call's path is fully compiled only after some 10^4 calls in a row (large
     * calls in between undo it); over TCP the first thousands took 2-10x the steady time (docs/performance.md),
     * which a sweep of small sizes would measure. At most jitWarmupMs more. A barrier every 50 calls, as in the
     * timed batches: without one, the barrier before the first batches undid part of the compiled path, and the
     * first second of 8-byte batches over TCP at 2 processes had a median batch mean of 42-43 us against 23-25 with
     * it, and 20-24 later on (a test program, two runs each).
     */
    private static void smallCalls(Communicator comm, PerfCall call, PerfCollective.Buffers bufs, long total,
                                   long jitWarmupMs) {
        WarmUp.repeatFor(comm, jitWarmupMs, SMALL_CALLS / 500, () -> {
            for (int i = 0; i < 500; i++) {
                if (i % 50 == 0) {
                    comm.barrier();
                }
                call.run(comm, bufs, total);
            }
        });
    }
}
