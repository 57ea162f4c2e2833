package io.jccl.transport;

/**
 * The clock of waits: a transport that waits for a transfer reads {@link System#nanoTime()} through {@link #now}
 * (or writes its readings into {@link #cell()}), which keeps the reading as this thread's last. An operation that
 * waited then knows, without reading the clock again, when its last wait last looked: the flight recorder dates the
 * end of a small operation so ({@code JCCL_TRACE_TIMING=auto}), since a clock read of its own (about 30 ns) is 4% of
 * an 8 B all-reduce over shared memory.
 *
 * <p>A wait loop keeps a reading at least once per round and after every step that may have let the core go (a
 * yield or a park), so that the last reading is at most one round of polling before the wait ended.
 *
 * <p>Threading: each thread has its own reading, written and read by that thread only.
 */
public final class WaitClock {
    private static final ThreadLocal<long[]> LAST = ThreadLocal.withInitial(() -> new long[1]);

    private WaitClock() {
    }

    /** {@link System#nanoTime()}, kept as this thread's last reading. */
    public static long now() {
        long t = System.nanoTime();
        LAST.get()[0] = t;
        return t;
    }

    /**
     * This thread's reading: element 0 is its last {@link System#nanoTime()} value kept (0 before any). A loop that
     * reads the clock many times takes the cell once and writes each reading into it; the recorder reads it.
     */
    public static long[] cell() {
        return LAST.get();
    }
}
