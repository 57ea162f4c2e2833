package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.ReduceOp;
import io.jccl.buffer.DeviceReduction;

import java.nio.ByteBuffer;

/**
 * The device-side reduction of a received segment ({@code JCCL_DEVICE_REDUCE=1}, docs/gpu.md "Device-side
 * reduction"): the received bytes are copied host-to-device into a device slot, a {@link ReduceKernels} kernel
 * computes {@code slot = local op slot} (or {@code slot op local}) against the buffer's own input bytes, and the slot
 * is copied back device-to-host into the algorithm's host memory, all three queued in that order on one stream, then
 * awaited. The result comes back to the host because the algorithm forwards it (a ring's partial sums) exactly as it
 * would its own reduction; the kernels give the host's bits ({@code KernelEmulationTest}, {@code
 * ReduceKernelsGpuTest}), so the output and everything on the wire keep the host path's bits.
 *
 * <p>The device work is behind {@link Steps}: {@link CudaSegmentSteps} on a GPU; tests emulate it on the host in the
 * same order. Threading: one call at a time (the thread running the operation).
 */
final class SegmentReducer implements DeviceReduction, AutoCloseable {
    /** The device work of one reduction, queued in call order on one in-order queue. */
    interface Steps extends AutoCloseable {
        /** The device slot holds at least {@code bytes} bytes afterwards (grown when smaller; nothing queued uses it). */
        void reserveSlot(long bytes);

        /** Queues the copy of {@code bytes} bytes of host {@code src} from absolute index {@code srcIndex} to the slot. */
        void copyToSlot(ByteBuffer src, int srcIndex, int bytes);

        /**
         * Queues {@code slot = local op slot} ({@code slot op local} when {@code slotFirst}) for {@code count} elements,
         * {@code local} being the buffer's bytes from {@code localOffset}.
         */
        void reduceIntoSlot(ReduceOp op, DataType type, long localOffset, long count, boolean slotFirst);

        /** Queues the copy of the slot's first {@code bytes} bytes to host {@code dst} at {@code dstIndex}; its ticket. */
        long copyFromSlot(ByteBuffer dst, int dstIndex, int bytes);

        /** Waits until the work of {@code ticket} and all queued before it completed, by the deadline. */
        void await(long ticket, long deadlineNanos);

        /** Frees the slot and anything else the steps hold; queued work must have completed. */
        @Override
        void close();
    }

    private final long bufferBytes;
    private final Steps steps;

    /** @param bufferBytes size of the buffer whose bytes are the local operand */
    SegmentReducer(long bufferBytes, Steps steps) {
        this.bufferBytes = bufferBytes;
        this.steps = steps;
    }

    /**
     * @throws InvalidUsageException when an argument is null, {@code bytes} or an offset is not a whole number of
     *                               elements, or a range lies outside its buffer
     */
    @Override
    public boolean reduceReceived(DataType type, ReduceOp op, long localOffset, ByteBuffer received,
                                  int receivedOffset, ByteBuffer hostDst, int hostDstOffset, int bytes,
                                  boolean receivedFirst, long deadlineNanos) {
        if (type == null || op == null || received == null || hostDst == null) {
            throw new InvalidUsageException("device reduce: type, op and buffers must not be null (type=" + type
                    + ", op=" + op + ")");
        }
        int eb = type.bytes();
        if (bytes < 0 || bytes % eb != 0 || localOffset % eb != 0 || localOffset < 0
                || localOffset > bufferBytes - bytes) {
            throw new InvalidUsageException("device reduce " + type + ": local bytes [" + localOffset + ", "
                    + (localOffset + bytes) + ") of a " + bufferBytes + "-byte buffer are not whole elements inside it");
        }
        if (receivedOffset < 0 || receivedOffset > received.capacity() - bytes || hostDstOffset < 0
                || hostDstOffset > hostDst.capacity() - bytes || hostDst.isReadOnly()) {
            throw new InvalidUsageException("device reduce: received bytes [" + receivedOffset + ", +" + bytes + ") of "
                    + received.capacity() + " or writable result bytes [" + hostDstOffset + ", +" + bytes + ") of "
                    + hostDst.capacity() + " out of range");
        }
        if (!received.isDirect() || !hostDst.isDirect()) {
            return false; // the device copies read and write direct memory only: the host reduces
        }
        if (bytes == 0) {
            return true;
        }
        steps.reserveSlot(bytes);
        steps.copyToSlot(received, receivedOffset, bytes);
        steps.reduceIntoSlot(op == ReduceOp.AVG ? ReduceOp.SUM : op, type, localOffset, bytes / eb, receivedFirst);
        steps.await(steps.copyFromSlot(hostDst, hostDstOffset, bytes), deadlineNanos);
        return true;
    }

    /** Frees the steps' slot and kernels. */
    @Override
    public void close() {
        steps.close();
    }
}
