package io.jccl.buffer;

import io.jccl.DataType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory left to the collector after a failed call: closing the owner (or a view's owner) does not unmap it, so a
 * transport that still holds the {@code ByteBuffer} reads valid memory; wrapped memory is not affected.
 */
class HostBufferCollectorTest {
    @Test
    void aViewLeftToTheCollectorKeepsItsOwnersMemoryMappedAfterClose() {
        HostBuffer owner = HostBuffer.allocate(16, DataType.FLOAT32);
        owner.putFloat(3, 42f);
        HostBuffer view = owner.slice(0, 32);
        ByteBuffer heldByTransport = view.unsafeBacking();
        view.leaveFreeToCollector();
        owner.close();
        assertTrue(owner.isClosed());
        assertEquals(42f, heldByTransport.getFloat(12)); // still mapped: unmapped memory would crash the JVM here
    }

    @Test
    void wrappedMemoryIsTheCallersAndNothingChanges() {
        ByteBuffer mine = ByteBuffer.allocateDirect(64);
        HostBuffer wrapped = HostBuffer.wrap(mine);
        wrapped.leaveFreeToCollector(); // no owner inside JCCL: a no-op
        wrapped.close();
        mine.putInt(0, 7);
        assertEquals(7, mine.getInt(0));
    }
}
