package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.DeviceReduction;
import io.jccl.buffer.SimulatedDeviceBuffer;
import io.jccl.buffer.StagedBuffer;
import io.jccl.reduce.HostReduce;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A device buffer with no GPU: memory and asynchronous copies from {@link SimulatedDeviceBuffer}, and the device-side
 * reduction of {@link SegmentReducer} over {@link Steps} that emulate the CUDA steps on the host: each step is queued
 * as {@link CudaSegmentSteps} queues it on the copy lane and runs, in queue order, only when a ticket is awaited (as a
 * stream runs its work), the kernel being {@link HostReduce} (the kernels' bits, {@code KernelEmulationTest}). Each
 * step logs {@code "slot-h2d <bytes>"}, {@code "reduce <local byte offset> <bytes>"}, {@code "slot-d2h <host index>
 * <bytes>"} when it runs; the simulated copies log as {@link SimulatedDeviceBuffer} does. For tests only.
 */
final class EmulatedDevice implements StagedBuffer, AutoCloseable {
    private final SimulatedDeviceBuffer sim;
    private final SegmentReducer reducer;
    /** Reductions run, over all calls. */
    private int reductions;

    /** @param log every event of the buffer, in order, or null */
    EmulatedDevice(long bytes, List<String> log) {
        this.sim = new SimulatedDeviceBuffer(bytes, 2_000, 0, true, log == null ? null : log::add);
        this.reducer = new SegmentReducer(bytes, new Steps(sim.memory(), log));
    }

    /** The emulated device memory (native order); not to be used while a collective runs. */
    ByteBuffer memory() {
        return sim.memory();
    }

    /** How many segments the emulated device reduced. */
    int reductions() {
        return reductions;
    }

    @Override
    public DeviceReduction deviceReduction() {
        return (type, op, localOffset, received, receivedOffset, hostDst, hostDstOffset, bytes, receivedFirst, d) -> {
            boolean done = reducer.reduceReceived(type, op, localOffset, received, receivedOffset, hostDst,
                    hostDstOffset, bytes, receivedFirst, d);
            reductions += done ? 1 : 0;
            return done;
        };
    }

    @Override
    public long byteSize() {
        return sim.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean isClosed() {
        return sim.isClosed();
    }

    @Override
    public void copyToHost(long offset, ByteBuffer dst, int dstOffset, int length) {
        sim.copyToHost(offset, dst, dstOffset, length);
    }

    @Override
    public void copyFromHost(ByteBuffer src, int srcOffset, long offset, int length) {
        sim.copyFromHost(src, srcOffset, offset, length);
    }

    @Override
    public boolean copiesAsync() {
        return true;
    }

    @Override
    public long copyToHostAsync(long offset, ByteBuffer dst, int dstOffset, int length) {
        return sim.copyToHostAsync(offset, dst, dstOffset, length);
    }

    @Override
    public long copyFromHostAsync(ByteBuffer src, int srcOffset, long offset, int length) {
        return sim.copyFromHostAsync(src, srcOffset, offset, length);
    }

    @Override
    public void awaitCopy(long ticket, long deadlineNanos) {
        sim.awaitCopy(ticket, deadlineNanos);
    }

    @Override
    public void close() {
        reducer.close();
        sim.close();
    }

    /** The CUDA steps emulated: one in-order queue, run up to a ticket when it is awaited. */
    private static final class Steps implements SegmentReducer.Steps {
        private final ByteBuffer device;
        private final List<String> log;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private ByteBuffer slot = ByteBuffer.allocateDirect(0);
        private long issued;
        private long done;

        Steps(ByteBuffer device, List<String> log) {
            this.device = device;
            this.log = log;
        }

        @Override
        public void reserveSlot(long bytes) {
            if (!queue.isEmpty()) {
                throw new AssertionError("slot grown while work is queued");
            }
            if (slot.capacity() < bytes) {
                slot = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
            }
        }

        @Override
        public void copyToSlot(ByteBuffer src, int srcIndex, int bytes) {
            queue(() -> {
                slot.put(0, src, srcIndex, bytes);
                log("slot-h2d " + bytes);
            });
        }

        @Override
        public void reduceIntoSlot(ReduceOp op, DataType type, long localOffset, long count, boolean slotFirst) {
            int off = (int) localOffset;
            int n = (int) count;
            queue(() -> {
                if (slotFirst) {
                    HostReduce.reduce(type, op, slot, 0, device, off, slot, 0, n);
                } else {
                    HostReduce.reduce(type, op, device, off, slot, 0, slot, 0, n);
                }
                log("reduce " + off + " " + (long) n * type.bytes());
            });
        }

        @Override
        public long copyFromSlot(ByteBuffer dst, int dstIndex, int bytes) {
            queue(() -> {
                dst.put(dstIndex, slot, 0, bytes);
                log("slot-d2h " + dstIndex + " " + bytes);
            });
            return issued;
        }

        /** Runs the queued steps up to the ticket's, in queue order (the work of an earlier ticket is done). */
        @Override
        public void await(long ticket, long deadlineNanos) {
            while (done < ticket) {
                queue.remove().run();
                done++;
            }
        }

        private void queue(Runnable step) {
            queue.add(step);
            issued++;
        }

        private void log(String event) {
            if (log != null) {
                log.add(event);
            }
        }

        @Override
        public void close() {
            queue.clear();
        }
    }
}
