package io.jccl.net.wire;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

class CopiedSegmentTest {
    @Test
    void releaseGivesBackTheBufferAndTheSegmentForTheNextMessage() {
        RecvBufferCache cache = new RecvBufferCache(1 << 20);
        CopiedSegment.Pool pool = new CopiedSegment.Pool(cache);
        ByteBuffer b = cache.take(100);
        b.putInt(0, 42);
        CopiedSegment s = pool.take().fill(5, b, 7, 9, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 25);
        assertEquals(5, s.stream());
        assertEquals(7, s.seq());
        assertEquals(9, s.tag());
        assertEquals(25, s.count());
        assertEquals(100, s.length());
        assertEquals(42, s.buffer().getInt(s.offset()));
        CopiedSegment other = pool.take();
        assertNotSame(s, other, "a segment in use is not handed out again");
        s.release();
        s.release(); // a second release gives nothing back twice
        assertEquals(1, pool.kept());
        assertEquals(4096, cache.retainedBytes());
        CopiedSegment again = pool.take();
        assertSame(s, again);
        assertEquals(0, pool.kept());
        ByteBuffer b2 = cache.take(200);
        assertSame(b, b2, "the buffer came back to its size class");
        again.fill(0, b2, 8, 1, Collective.BROADCAST, DataType.INT8, null, 3, 200);
        assertEquals(8, again.seq());
        assertEquals(Collective.BROADCAST, again.collective());
        assertEquals(3, again.root());
        assertEquals(200, again.length());
    }
}
