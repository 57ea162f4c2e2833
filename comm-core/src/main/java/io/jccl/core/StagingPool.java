package io.jccl.core;

import io.jccl.DataType;
import io.jccl.ReduceOp;
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
    /** Whether staged buffers that offer a {@link io.jccl.buffer.DeviceReduction} use it (JCCL_DEVICE_REDUCE). */
    private final boolean deviceReduce;

    StagingPool() {
        this(false);
    }

    /** @param deviceReduce received segments are reduced on the device where the staging can ({@link #reduceReceived}) */
    StagingPool(boolean deviceReduce) {
        this.deviceReduce = deviceReduce;
    }

    /** True when this pool's pipelines reduce received segments on the device where they can. */
    boolean deviceReduce() {
        return deviceReduce;
    }

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

    /**
     * On the device when {@code local} is a pipelined slot's input that the algorithm has not written and its buffer
     * offers a device reduction: {@code dst} is prepared as for any write ({@link #willWrite}: in place, its input
     * copy lands first), then the device computes the result into it; false when the device declines (the host
     * reduces: its own reading and writing hooks then run again, which changes nothing).
     */
    @Override
    public boolean reduceReceived(DataType type, ReduceOp op, ByteBuffer local, long localByteOffset, ByteBuffer dst,
                                  long dstByteOffset, ByteBuffer received, int receivedIndex, long bytes,
                                  boolean receivedFirst) {
        for (PipelinedStaging p : pipelines) {
            if (p != null && p.holds(local) && p.canReduceOnDevice(localByteOffset, bytes)) {
                willWrite(dst, dstByteOffset, bytes);
                return p.reduceOnDevice(type, op, localByteOffset, received, receivedIndex, dst, dstByteOffset,
                        (int) bytes, receivedFirst);
            }
        }
        return false;
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
