package io.jccl.core;

import io.jccl.algo.OpContext;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;

import java.nio.ByteBuffer;

/**
 * Host staging buffers of one communicator, one per argument slot, grown on demand and reused, closed with
 * the communicator; and each slot's {@link PipelinedStaging}, which this pool serves to the algorithm as the
 * operation's {@link OpContext.Staging} hooks. Used by the one thread that runs operations.
 */
final class StagingPool implements AutoCloseable, OpContext.Staging {
    private final HostBuffer[] slots = new HostBuffer[2];
    private final PipelinedStaging[] pipelines = new PipelinedStaging[2];

    /** The segment-wise staging of {@code slot}, made on first use and reused. */
    PipelinedStaging pipeline(int slot) {
        PipelinedStaging p = pipelines[slot];
        if (p == null) {
            p = new PipelinedStaging();
            pipelines[slot] = p;
        }
        return p;
    }

    /** After a failed call: the slots' pipelines forget their buffers. */
    void abandonPipelines() {
        for (PipelinedStaging p : pipelines) {
            if (p != null) {
                p.abandon();
            }
        }
    }

    @Override
    public void awaitInput(ByteBuffer buf, long byteOffset, long bytes) {
        for (PipelinedStaging p : pipelines) {
            if (p != null && p.holds(buf)) {
                p.awaitInput(byteOffset, bytes);
            }
        }
    }

    @Override
    public void willWrite(ByteBuffer buf, long byteOffset, long bytes) {
        for (PipelinedStaging p : pipelines) {
            if (p != null && p.holds(buf)) {
                p.willWrite(byteOffset, bytes);
            }
        }
    }

    @Override
    public void outputReady(ByteBuffer buf, long byteOffset, long bytes) {
        for (PipelinedStaging p : pipelines) {
            if (p != null && p.holds(buf)) {
                p.outputReady(byteOffset, bytes);
            }
        }
    }

    @Override
    public void prefetchInput(ByteBuffer buf, long byteOffset, long bytes) {
        for (PipelinedStaging p : pipelines) {
            if (p != null && p.holds(buf)) {
                p.prefetch(byteOffset, bytes);
            }
        }
    }

    HostBuffer get(int slot, long bytes, StagedBuffer owner) {
        HostBuffer b = slots[slot];
        if (b == null || b.byteSize() < bytes) {
            if (b != null) {
                b.close();
            }
            b = owner.allocateStaging(Math.max(bytes, 64));
            slots[slot] = b;
        }
        return b;
    }

    /** After a failed call that a transport may still read: the staging memory is left to the garbage collector. */
    void leaveFreeToCollector() {
        for (HostBuffer b : slots) {
            if (b != null) {
                b.leaveFreeToCollector();
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) {
                slots[i].close();
                slots[i] = null;
            }
        }
    }
}
