package io.jccl.buffer;

import io.jccl.CommTimeoutException;
import io.jccl.InvalidUsageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A {@link StagedBuffer} whose "device" memory is host memory and whose asynchronous copies run on one copy
 * thread in queue order, each taking a simulated time ({@code latencyNanos + bytes / bytesPerSecond}), as a CUDA
 * stream would: it lets the pipelined staging (docs/gpu.md) be tested and measured on every build, without a GPU.
 * An optional listener sees each copy queued ({@code "queued d2h <offset> <length>"}, on the queuing thread) and
 * completed ({@code "d2h <offset> <length>"}, {@code "h2d ..."}, on the copy thread); offsets are device bytes.
 *
 * <p>Not a device: only for tests and {@code --device-sim} measurements. Memory is a direct buffer of at most
 * {@link HostBuffer#MAX_BYTES}; read and fill it with {@link #memory()} while no collective uses it.
 *
 * <p>Threading: copies may be queued from one thread at a time (the one that runs the operation); the copy thread
 * is a daemon and ends with {@link #close()}, which waits for queued copies (at most 10 s).
 */
public final class SimulatedDeviceBuffer implements StagedBuffer, AutoCloseable {
    private static final int QUEUE = 1 << 14;

    private final ByteBuffer memory;
    private final long latencyNanos;
    private final double nanosPerByte;
    private final boolean async;
    private final Consumer<String> listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** The queue of copies: ring arrays indexed by ticket % QUEUE. */
    private final boolean[] toHost = new boolean[QUEUE];
    private final ByteBuffer[] host = new ByteBuffer[QUEUE];
    private final long[] deviceOffset = new long[QUEUE];
    private final int[] hostOffset = new int[QUEUE];
    private final int[] length = new int[QUEUE];
    private long queued;
    private long done;
    private boolean closed;
    private final Thread copier;

    /**
     * @param bytes          size of the simulated device memory
     * @param latencyNanos   fixed time of every copy
     * @param bytesPerSecond copy rate (0: instantaneous)
     * @param async          true: {@link #copiesAsync()} (the communicator pipelines); false: staged whole
     * @param listener       told of each copy queued and completed, or null
     */
    public SimulatedDeviceBuffer(long bytes, long latencyNanos, double bytesPerSecond, boolean async,
                                 Consumer<String> listener) {
        if (bytes < 0 || bytes > HostBuffer.MAX_BYTES || latencyNanos < 0 || bytesPerSecond < 0) {
            throw new InvalidUsageException("simulated device buffer: bytes=" + bytes + " latencyNanos="
                    + latencyNanos + " bytesPerSecond=" + bytesPerSecond + " out of range");
        }
        this.memory = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        this.latencyNanos = latencyNanos;
        this.nanosPerByte = bytesPerSecond == 0 ? 0 : 1e9 / bytesPerSecond;
        this.async = async;
        this.listener = listener;
        this.copier = new Thread(this::copyLoop, "jccl-simulated-copies");
        copier.setDaemon(true);
        copier.start();
    }

    /** The simulated device memory (native order); not to be used while a collective runs. */
    public ByteBuffer memory() {
        return memory;
    }

    @Override
    public long byteSize() {
        return memory.capacity();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public boolean copiesAsync() {
        return async;
    }

    @Override
    public void copyToHost(long offset, ByteBuffer dst, int dstOffset, int length) {
        awaitCopy(copyToHostAsync(offset, dst, dstOffset, length), System.nanoTime() + TimeUnit.MINUTES.toNanos(1));
    }

    @Override
    public void copyFromHost(ByteBuffer src, int srcOffset, long offset, int length) {
        awaitCopy(copyFromHostAsync(src, srcOffset, offset, length), System.nanoTime() + TimeUnit.MINUTES.toNanos(1));
    }

    @Override
    public long copyToHostAsync(long offset, ByteBuffer dst, int dstOffset, int length) {
        return enqueue(true, offset, dst, dstOffset, length);
    }

    @Override
    public long copyFromHostAsync(ByteBuffer src, int srcOffset, long offset, int length) {
        return enqueue(false, offset, src, srcOffset, length);
    }

    @Override
    public void awaitCopy(long ticket, long deadlineNanos) {
        lock.lock();
        try {
            while (done < ticket) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new CommTimeoutException("simulated device copy #" + ticket + " not complete by the deadline ("
                            + done + " of " + queued + " done)");
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommTimeoutException("interrupted waiting for simulated device copy #" + ticket);
        } finally {
            lock.unlock();
        }
    }

    private long enqueue(boolean d2h, long offset, ByteBuffer h, int hOffset, int len) {
        if (offset < 0 || len < 0 || offset > memory.capacity() - len || hOffset < 0 || hOffset > h.capacity() - len) {
            throw new InvalidUsageException("simulated device copy: device bytes [" + offset + ", " + (offset + len)
                    + ") of " + memory.capacity() + ", host bytes [" + hOffset + ", " + ((long) hOffset + len) + ") of "
                    + h.capacity());
        }
        lock.lock();
        try {
            if (closed) {
                throw new InvalidUsageException("simulated device buffer is closed");
            }
            while (queued - done >= QUEUE) {
                changed.awaitUninterruptibly();
            }
            int i = (int) (queued % QUEUE);
            toHost[i] = d2h;
            host[i] = h;
            deviceOffset[i] = offset;
            hostOffset[i] = hOffset;
            length[i] = len;
            queued++;
            if (listener != null) {
                listener.accept((d2h ? "queued d2h " : "queued h2d ") + offset + " " + len);
            }
            changed.signalAll();
            return queued;
        } finally {
            lock.unlock();
        }
    }

    private void copyLoop() {
        while (true) {
            int i;
            lock.lock();
            try {
                while (done == queued && !closed) {
                    changed.awaitUninterruptibly();
                }
                if (done == queued) {
                    return;
                }
                i = (int) (done % QUEUE);
            } finally {
                lock.unlock();
            }
            long until = System.nanoTime() + latencyNanos + (long) (length[i] * nanosPerByte);
            ByteBuffer h = host[i];
            if (toHost[i]) {
                h.put(hostOffset[i], memory, (int) deviceOffset[i], length[i]);
            } else {
                memory.put((int) deviceOffset[i], h, hostOffset[i], length[i]);
            }
            for (long left; (left = until - System.nanoTime()) > 0; ) {
                java.util.concurrent.locks.LockSupport.parkNanos(left);
            }
            if (listener != null) {
                listener.accept((toHost[i] ? "d2h " : "h2d ") + deviceOffset[i] + " " + length[i]);
            }
            lock.lock();
            try {
                host[i] = null;
                done++;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits (at most 10 s) for the queued copies, then stops the copy thread. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            copier.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "SimulatedDeviceBuffer{bytes=" + memory.capacity() + ", async=" + async + "}";
    }
}
