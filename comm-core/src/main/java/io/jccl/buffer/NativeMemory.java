package io.jccl.buffer;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One block of native memory of any {@code long} length, from the C library's {@code calloc} (zeroed; the kernel
 * hands large blocks out as untouched zero pages, so allocating costs nothing until the memory is written), seen
 * through {@code ByteBuffer} views of at most {@link Integer#MAX_VALUE} bytes each. Owned by one {@link HostBuffer}.
 *
 * <p>Freed exactly once: at once by {@link #freeNow()} (a plain close), or, after {@link #freeWhenUnreachable()}
 * (a close while a transport may still hold a view), once every view made by {@link #view} has been collected.
 * The views are not the memory's owners: a view used after {@link #freeNow()} reads freed memory, as a direct
 * buffer used after its cleaner ran does.
 *
 * <p>Thread-safe.
 */
final class NativeMemory {
    private static final Cleaner CLEANER = Cleaner.create();

    private final long address;
    private final long bytes;
    /** Views made by {@link #view} that the collector has not yet found unreachable. */
    private final AtomicLong liveViews = new AtomicLong();
    /** Set when the owner gave the memory up to the collector. */
    private volatile boolean released;
    private final AtomicBoolean freed = new AtomicBoolean();

    private NativeMemory(long address, long bytes) {
        this.address = address;
        this.bytes = bytes;
    }

    /**
     * Allocates {@code bytes} zeroed bytes ({@code bytes > 0}); null when the C library refuses (more than the
     * machine's memory and swap, or than the address space).
     */
    static NativeMemory allocate(long bytes) {
        long address = Function.getFunction(Platform.C_LIBRARY_NAME, "calloc").invokeLong(new Object[]{1L, bytes});
        return address == 0 ? null : new NativeMemory(address, bytes);
    }

    long address() {
        return address;
    }

    long bytes() {
        return bytes;
    }

    /**
     * A native-order view of {@code length} bytes from byte {@code offset}; the memory is not freed by the collector
     * while the view (or a slice or duplicate of it) is reachable.
     */
    ByteBuffer view(long offset, int length) {
        ByteBuffer b = viewOf(address + offset, length);
        liveViews.incrementAndGet();
        CLEANER.register(b, this::viewCollected);
        return b;
    }

    /** A native-order view of {@code length} bytes at {@code address}, memory that someone else owns. */
    static ByteBuffer viewOf(long address, int length) {
        return new Pointer(address).getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    /**
     * A view of {@code length} bytes from byte {@code offset} of the memory at {@code address}: part of
     * {@code memory} ({@link #view}), or borrowed when {@code memory} is null; read-only when {@code readOnly}.
     */
    static ByteBuffer window(long address, NativeMemory memory, long offset, int length, boolean readOnly) {
        ByteBuffer b = memory == null ? viewOf(address + offset, length)
                : memory.view(address - memory.address + offset, length);
        return readOnly ? b.asReadOnlyBuffer().order(ByteOrder.nativeOrder()) : b;
    }

    /** Frees the memory now (no-op when freed already). */
    void freeNow() {
        if (freed.compareAndSet(false, true)) {
            Native.free(address);
        }
    }

    /** Frees the memory once no view is reachable any more (at once when none is). */
    void freeWhenUnreachable() {
        released = true;
        if (liveViews.get() == 0) {
            freeNow();
        }
    }

    /**
     * A cleaner that gives the memory to the collector once {@code owner} is unreachable, for an owner that is
     * never closed; the action holds this memory, not the owner.
     */
    void freeWithOwner(Object owner) {
        CLEANER.register(owner, this::freeWhenUnreachable);
    }

    private void viewCollected() {
        if (liveViews.decrementAndGet() == 0 && released) {
            freeNow();
        }
    }
}
