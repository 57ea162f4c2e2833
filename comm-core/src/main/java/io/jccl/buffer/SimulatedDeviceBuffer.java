package io.jccl.buffer;

import io.jccl.CommTimeoutException;
import io.jccl.InvalidUsageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A {@link StagedBuffer} whose "device" memory is host memory and whose asynchronous copies run in queue order on
 * one copy thread per direction, each taking a simulated time ({@code latencyNanos + bytes / bytesPerSecond}), as
 * a CUDA stream on each of a GPU's two copy engines would: it lets the pipelined staging (docs/gpu.md) be tested
 * and measured on every build, without a GPU. An idle engine starts a copy when it is queued, a busy one when its
 * previous copy ends (never when the copy thread happens to wake up).
 * An optional listener sees each copy queued ({@code "queued d2h <offset> <length>"}, on the queuing thread) and
 * completed ({@code "d2h <offset> <length>"}, {@code "h2d ..."}, on the copy thread); offsets are device bytes.
 *
 * <p>Not a device: only for tests and {@code --device-sim} measurements. Memory is a direct buffer of at most
 * {@link HostBuffer#MAX_VIEW_BYTES}; read and fill it with {@link #memory()} while no collective uses it.
 *
 * <p>Threading: copies may be queued from one thread at a time (the one that runs the operation); the copy threads
 * are daemons and end with {@link #close()}, which waits for queued copies (at most 10 s each).
 */
public final class SimulatedDeviceBuffer implements StagedBuffer, AutoCloseable {
    private final ByteBuffer memory;
    private final long latencyNanos;
    private final double nanosPerByte;
    private final boolean async;
    private final boolean moveBytes;
    private final Consumer<String> listener;
    private final Lane toHost = new Lane(true);
    private final Lane toDevice = new Lane(false);
    private volatile boolean closed;

    /**
     * @param bytes          size of the simulated device memory
     * @param latencyNanos   fixed time of every copy
     * @param bytesPerSecond copy rate of each direction (0: instantaneous)
     * @param async          true: {@link #copiesAsync()} (the communicator pipelines); false: staged whole
     * @param listener       told of each copy queued and completed, or null
     */
    public SimulatedDeviceBuffer(long bytes, long latencyNanos, double bytesPerSecond, boolean async,
                                 Consumer<String> listener) {
        this(bytes, latencyNanos, bytesPerSecond, async, listener, true);
    }

    /**
     * As the other constructor; with {@code moveBytes} false the copies only take their time and move no byte (a
     * DMA engine costs the host no CPU, a {@code memcpy} on a copy thread does: for timings on a machine with few
     * cores; the results are then wrong by design).
     */
    public SimulatedDeviceBuffer(long bytes, long latencyNanos, double bytesPerSecond, boolean async,
                                 Consumer<String> listener, boolean moveBytes) {
        if (bytes < 0 || bytes > HostBuffer.MAX_VIEW_BYTES || latencyNanos < 0 || bytesPerSecond < 0) {
            throw new InvalidUsageException("simulated device buffer: bytes=" + bytes + " latencyNanos="
                    + latencyNanos + " bytesPerSecond=" + bytesPerSecond + " out of range");
        }
        this.memory = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        this.latencyNanos = latencyNanos;
        this.nanosPerByte = bytesPerSecond == 0 ? 0 : 1e9 / bytesPerSecond;
        this.async = async;
        this.moveBytes = moveBytes;
        this.listener = listener;
        toHost.start();
        toDevice.start();
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

    /** Device-to-host tickets are odd: {@code 2 k + 1} for the k-th copy (from 0); host-to-device ones even. */
    @Override
    public long copyToHostAsync(long offset, ByteBuffer dst, int dstOffset, int length) {
        return 2 * toHost.enqueue(offset, dst, dstOffset, length) - 1;
    }

    @Override
    public long copyFromHostAsync(ByteBuffer src, int srcOffset, long offset, int length) {
        return 2 * toDevice.enqueue(offset, src, srcOffset, length);
    }

    @Override
    public void awaitCopy(long ticket, long deadlineNanos) {
        if (ticket <= 0) {
            return;
        }
        if ((ticket & 1) == 1) {
            toHost.await((ticket + 1) / 2, deadlineNanos);
        } else {
            toDevice.await(ticket / 2, deadlineNanos);
        }
    }

    /** Waits (at most 10 s per direction) for the queued copies, then stops the copy threads. Idempotent. */
    @Override
    public void close() {
        closed = true;
        toHost.close();
        toDevice.close();
    }

    @Override
    public String toString() {
        return "SimulatedDeviceBuffer{bytes=" + memory.capacity() + ", async=" + async + "}";
    }

    /** One direction's in-order queue and its copy thread. */
    private final class Lane {
        private static final int QUEUE = 1 << 14;
        private final boolean d2h;
        private final String name;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ByteBuffer[] host = new ByteBuffer[QUEUE];
        private final long[] deviceOffset = new long[QUEUE];
        private final int[] hostOffset = new int[QUEUE];
        private final int[] length = new int[QUEUE];
        /** When each copy was queued ({@link System#nanoTime()}): an idle engine starts it then. */
        private final long[] queuedAt = new long[QUEUE];
        private final Thread copier;
        private long queued;
        private long done;
        /** When the simulated engine finishes its current copy (copy thread only). */
        private long busyUntil;
        private boolean stopping;

        Lane(boolean d2h) {
            this.d2h = d2h;
            this.name = d2h ? "d2h" : "h2d";
            this.copier = new Thread(this::copyLoop, "jccl-simulated-" + name);
            copier.setDaemon(true);
        }

        void start() {
            copier.start();
        }

        /** Queues a copy; returns its number in this lane (from 1). */
        long enqueue(long offset, ByteBuffer h, int hOffset, int len) {
            if (offset < 0 || len < 0 || offset > memory.capacity() - len || hOffset < 0
                    || hOffset > h.capacity() - len) {
                throw new InvalidUsageException("simulated " + name + " copy: device bytes [" + offset + ", "
                        + (offset + len) + ") of " + memory.capacity() + ", host bytes [" + hOffset + ", "
                        + ((long) hOffset + len) + ") of " + h.capacity());
            }
            lock.lock();
            try {
                if (stopping) {
                    throw new InvalidUsageException("simulated device buffer is closed");
                }
                while (queued - done >= QUEUE) {
                    changed.awaitUninterruptibly();
                }
                int i = (int) (queued % QUEUE);
                host[i] = h;
                deviceOffset[i] = offset;
                hostOffset[i] = hOffset;
                length[i] = len;
                queuedAt[i] = System.nanoTime();
                queued++;
                if (listener != null) {
                    listener.accept("queued " + name + " " + offset + " " + len);
                }
                changed.signalAll();
                return queued;
            } finally {
                lock.unlock();
            }
        }

        void await(long n, long deadlineNanos) {
            lock.lock();
            try {
                while (done < n) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        throw new CommTimeoutException("simulated " + name + " copy #" + n + " not complete by the "
                                + "deadline (" + done + " of " + queued + " done)");
                    }
                    changed.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommTimeoutException("interrupted waiting for simulated " + name + " copy #" + n);
            } finally {
                lock.unlock();
            }
        }

        private void copyLoop() {
            while (true) {
                int i;
                lock.lock();
                try {
                    while (done == queued && !stopping) {
                        changed.awaitUninterruptibly();
                    }
                    if (done == queued) {
                        return;
                    }
                    i = (int) (done % QUEUE);
                } finally {
                    lock.unlock();
                }
                // the engine starts a copy when it is queued or when the engine's previous copy ends, whichever is
                // later: never when this thread happens to wake up, so scheduling lateness is not summed over copies
                long until = Math.max(queuedAt[i], busyUntil) + latencyNanos + (long) (length[i] * nanosPerByte);
                busyUntil = until;
                if (!moveBytes) {
                    // timing only
                } else if (d2h) {
                    host[i].put(hostOffset[i], memory, (int) deviceOffset[i], length[i]);
                } else {
                    memory.put((int) deviceOffset[i], host[i], hostOffset[i], length[i]);
                }
                for (long left; (left = until - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(left);
                }
                if (listener != null) {
                    listener.accept(name + " " + deviceOffset[i] + " " + length[i]);
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

        void close() {
            lock.lock();
            try {
                stopping = true;
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
    }
}
