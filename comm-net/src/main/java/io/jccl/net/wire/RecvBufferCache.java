package io.jccl.net.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

/**
 * Direct buffers for received messages, kept for reuse instead of given back: a buffer of the power-of-two size
 * class at or above the request, taken from that class's free list or allocated, and returned to it on release
 * while the cache holds at most {@code maxRetainedBytes}. Reuse matters because memory that is freed and mapped
 * again is paid for in page faults on every message: Netty's pooled allocator frees a chunk as soon as it is empty,
 * and on a virtual machine whose fresh pages cost about 12 us per 4 KiB (measured on our 2-vCPU VM) a 64 MiB
 * all-reduce over shared memory ran at 0.2-0.3 GB/s instead of 3-4.
 *
 * <p>Threading: {@link #take} and {@link #give} from any threads (one lock; each call is a few list operations).
 */
public final class RecvBufferCache {
    /** The smallest size class: 4 KiB. */
    static final int MIN_CLASS_BYTES = 4096;

    private final long maxRetainedBytes;
    @SuppressWarnings({"unchecked", "rawtypes"})
    private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[32];
    private long retainedBytes;

    public RecvBufferCache(long maxRetainedBytes) {
        this.maxRetainedBytes = maxRetainedBytes;
    }

    /** The size class that holds {@code bytes}: a power of two, at least {@link #MIN_CLASS_BYTES}. */
    public static int classBytes(int bytes) {
        return bytes <= MIN_CLASS_BYTES ? MIN_CLASS_BYTES : Integer.highestOneBit(bytes - 1) << 1;
    }

    /**
     * A direct buffer in native byte order with position 0 and limit {@code bytes}, at least {@code bytes} in
     * capacity ({@code 0 <= bytes <= 2^30}). Its contents are whatever the last user left.
     */
    public ByteBuffer take(int bytes) {
        int cls = classBytes(bytes);
        int i = Integer.numberOfTrailingZeros(cls);
        ByteBuffer b = null;
        synchronized (this) {
            ArrayDeque<ByteBuffer> list = free[i];
            if (list != null && !list.isEmpty()) {
                b = list.pollLast();
                retainedBytes -= cls;
            }
        }
        if (b == null) {
            b = ByteBuffer.allocateDirect(cls).order(ByteOrder.nativeOrder());
        }
        b.clear().limit(bytes);
        return b;
    }

    /** Gives back a buffer from {@link #take}; it is kept for reuse unless the cache is full. */
    public void give(ByteBuffer b) {
        int cls = b.capacity();
        int i = Integer.numberOfTrailingZeros(cls);
        synchronized (this) {
            if (retainedBytes + cls <= maxRetainedBytes) {
                if (free[i] == null) {
                    free[i] = new ArrayDeque<>();
                }
                free[i].addLast(b);
                retainedBytes += cls;
            }
        }
    }

    /** Bytes held for reuse now. */
    public synchronized long retainedBytes() {
        return retainedBytes;
    }
}
