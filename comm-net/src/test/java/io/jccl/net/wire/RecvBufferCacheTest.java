package io.jccl.net.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecvBufferCacheTest {
    @Test
    void sizeClassesArePowersOfTwoFromFourKiB() {
        assertEquals(4096, RecvBufferCache.classBytes(0));
        assertEquals(4096, RecvBufferCache.classBytes(1));
        assertEquals(4096, RecvBufferCache.classBytes(4096));
        assertEquals(8192, RecvBufferCache.classBytes(4097));
        assertEquals(524288, RecvBufferCache.classBytes(524288));
        assertEquals(1 << 20, RecvBufferCache.classBytes(524289));
    }

    @Test
    void aGivenBackBufferIsReusedForTheSameClass() {
        RecvBufferCache cache = new RecvBufferCache(1 << 20);
        ByteBuffer a = cache.take(5000);
        assertTrue(a.isDirect());
        assertEquals(ByteOrder.nativeOrder(), a.order());
        assertEquals(0, a.position());
        assertEquals(5000, a.limit());
        assertEquals(8192, a.capacity());
        cache.give(a);
        assertEquals(8192, cache.retainedBytes());
        ByteBuffer b = cache.take(8000);
        assertSame(a, b);
        assertEquals(8000, b.limit());
        assertEquals(0, cache.retainedBytes());
        assertNotSame(a, cache.take(100), "another class, or the same class while a is taken");
    }

    @Test
    void keepsAtMostItsLimit() {
        RecvBufferCache cache = new RecvBufferCache(3 * 4096);
        ByteBuffer[] b = new ByteBuffer[5];
        for (int i = 0; i < b.length; i++) {
            b[i] = cache.take(4096);
        }
        for (ByteBuffer x : b) {
            cache.give(x);
        }
        assertEquals(3 * 4096, cache.retainedBytes());
        ByteBuffer big = cache.take(1 << 20);
        cache.give(big);
        assertEquals(3 * 4096, cache.retainedBytes(), "a buffer above the limit is dropped");
    }
}
