package io.jccl.core;

import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;

/**
 * One buffer argument of a call as the algorithm sees it: host memory directly, or a
 * {@link StagedBuffer} copied through a reusable host staging buffer before and after the algorithm.
 *
 * <p>Threading: a staged binding is used by the thread that runs the operation. A host binding holds nothing
 * but final fields, so a communicator may bind the same host buffer with it again in later calls, from any
 * issuing thread; and the last all-reduce call made with it as the output ({@link #lastAllReduce}), which an
 * issuing thread sets and reads (a {@link Call} is immutable: a racing reader sees it whole).
 */
final class Binding {
    private final HostBuffer hostBuffer;
    private final StagedBuffer staged;
    private final long bytes;
    private final boolean input;
    private final boolean output;
    private final int slot;
    /** A staged buffer's staging memory (one {@code ByteBuffer}), set by {@link #stageIn}. */
    private HostBuffer stagingMemory;
    /** The slot's segment-wise staging while a pipelined call runs, else null. */
    private PipelinedStaging pipeline;
    /** A host binding's last all-reduce call as the output, made again when the next call is the same. */
    private Call lastAllReduce;

    private Binding(HostBuffer hostBuffer, StagedBuffer staged, long bytes, boolean input, boolean output, int slot) {
        this.hostBuffer = hostBuffer;
        this.staged = staged;
        this.bytes = bytes;
        this.input = input;
        this.output = output;
        this.slot = slot;
    }

    /** True when the buffer is not host memory the algorithm can use in place (its bytes are staged). */
    boolean isStaged() {
        return staged != null;
    }

    static Binding host(HostBuffer b) {
        return new Binding(b, null, 0, false, false, -1);
    }

    /**
     * A staged buffer: {@code bytes} bytes copied in before the algorithm when {@code input}, and out after
     * it when {@code output}, through staging slot {@code slot}.
     */
    static Binding staged(StagedBuffer b, long bytes, boolean input, boolean output, int slot) {
        return new Binding(null, b, bytes, input, output, slot);
    }

    /** The host memory the algorithm reads and writes; valid after {@link #stageIn}. */
    HostBuffer host() {
        return staged == null ? hostBuffer : stagingMemory;
    }

    /** The last all-reduce call kept by {@link #keepAllReduce}, or null. */
    Call lastAllReduce() {
        return lastAllReduce;
    }

    /** Keeps {@code c}, an all-reduce with this host binding as its output, to be issued again. */
    void keepAllReduce(Call c) {
        lastAllReduce = c;
    }

    /** True when this binds host buffer {@code b} itself. */
    boolean binds(HostBuffer b) {
        return hostBuffer == b;
    }

    /** Allocates or reuses the staging buffer and copies the input in, whole. */
    void stageIn(StagingPool pool) {
        if (staged == null) {
            return;
        }
        stagingMemory = pool.get(slot, bytes, staged);
        pipeline = null;
        staged.stagingBegins();
        if (input && bytes > 0) {
            staged.copyToHost(0, stagingMemory.unsafeBacking(), 0, (int) bytes);
        }
    }

    /**
     * As {@link #stageIn(StagingPool)}, but a buffer that {@linkplain StagedBuffer#copiesAsync copies
     * asynchronously} is staged segment by segment in units of {@code unitBytes} ({@link PipelinedStaging}): no copy
     * is made here; the algorithm's reads queue and await them through the pool's hooks.
     *
     * @return true when this binding is staged segment by segment
     */
    boolean stageIn(StagingPool pool, long unitBytes, long deadlineNanos) {
        if (staged == null || !staged.copiesAsync()) {
            stageIn(pool);
            return false;
        }
        stagingMemory = pool.get(slot, bytes, staged);
        pipeline = pool.pipeline(slot);
        pipeline.begin(staged, stagingMemory.unsafeBacking(), bytes, input, output, unitBytes, deadlineNanos,
                pool.deviceReduce());
        return true;
    }

    /**
     * The element type the memory holds when it has one of its own (a {@code float[]} or {@code double[]}), else
     * null: any type may be read from bytes.
     */
    io.jccl.DataType elementType() {
        return staged instanceof io.jccl.buffer.HeapArrayBuffer h ? h.elementType() : null;
    }

    /** Marks the host memory in use by the call ({@link HostBuffer#pin}); nothing for a staged buffer. */
    void pin() {
        if (hostBuffer != null) {
            hostBuffer.pin();
        }
    }

    /** Ends {@link #pin()}. */
    void unpin() {
        if (hostBuffer != null) {
            hostBuffer.unpin();
        }
    }

    /** After a failed call that a transport may still read: the host memory is left to the garbage collector. */
    void leaveFreeToCollector() {
        if (hostBuffer != null) {
            hostBuffer.leaveFreeToCollector();
        }
    }

    /** Copies the output back to the staged buffer (segment-wise: the units not yet copied) and waits for it. */
    void stageOut() {
        if (staged == null) {
            return;
        }
        if (pipeline != null) {
            PipelinedStaging p = pipeline;
            pipeline = null;
            p.finish();
            return;
        }
        if (output && bytes > 0) {
            staged.copyFromHost(stagingMemory.unsafeBacking(), 0, 0, (int) bytes);
        }
        staged.stagingEnded();
    }
}
