package io.jccl.core;

import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;

import java.nio.ByteBuffer;

/**
 * Host staging buffers of one communicator, one per argument slot, grown on demand and reused, closed with
 * the communicator. Used by the one thread that runs operations.
 */
final class StagingPool implements AutoCloseable {
    private final HostBuffer[] slots = new HostBuffer[2];

    ByteBuffer get(int slot, long bytes, StagedBuffer owner) {
        HostBuffer b = slots[slot];
        if (b == null || b.byteSize() < bytes) {
            if (b != null) {
                b.close();
            }
            b = owner.allocateStaging(Math.max(bytes, 64));
            slots[slot] = b;
        }
        return b.unsafeBacking();
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
