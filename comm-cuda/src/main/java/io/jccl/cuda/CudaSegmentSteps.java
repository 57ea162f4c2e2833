package io.jccl.cuda;

import io.jccl.DataType;
import io.jccl.ReduceOp;

import java.nio.ByteBuffer;

/**
 * {@link SegmentReducer.Steps} on a GPU: the slot is device memory of this buffer's context ({@code cuMemAlloc}, grown
 * to the largest segment), the kernels are {@link ReduceKernels} loaded on first use, and all three steps run on the
 * context's host-to-device copy lane ({@link CopyLanes}), so they follow the buffer's stream order ({@link
 * DeviceBuffer#onStream}) and the lane's earlier copies; the ticket is an event recorded on that lane after the
 * device-to-host copy of the result.
 *
 * <p>Owned by one {@link DeviceBuffer} (closed with it). Threading: one reduction at a time.
 */
final class CudaSegmentSteps implements SegmentReducer.Steps {
    private final DeviceBuffer local;
    private ReduceKernels kernels;
    private DeviceBuffer slot;

    CudaSegmentSteps(DeviceBuffer local) {
        this.local = local;
    }

    @Override
    public void reserveSlot(long bytes) {
        if (kernels == null) {
            kernels = ReduceKernels.load(local.context());
        }
        if (slot == null || slot.byteSize() < bytes) {
            if (slot != null) {
                slot.close(); // nothing queued uses it: every reduction awaited its result
                slot = null;
            }
            slot = DeviceBuffer.allocate(local.context(), bytes);
        }
    }

    @Override
    public void copyToSlot(ByteBuffer src, int srcIndex, int bytes) {
        HostCopies.toDevice(slot, "device reduce (received)", src, srcIndex, 0, bytes, lanes().deviceStream());
    }

    @Override
    public void reduceIntoSlot(ReduceOp op, DataType type, long localOffset, long count, boolean slotFirst) {
        if (slotFirst) {
            kernels.reduceOn(op, type, slot, 0, slot, 0, local, localOffset, count, lanes().deviceStream());
        } else {
            kernels.reduceOn(op, type, slot, 0, local, localOffset, slot, 0, count, lanes().deviceStream());
        }
    }

    @Override
    public long copyFromSlot(ByteBuffer dst, int dstIndex, int bytes) {
        CopyLanes lanes = lanes();
        HostCopies.toHost(slot, "device reduce (result)", 0, dst, dstIndex, bytes, lanes.deviceStream());
        return lanes.markDeviceLane();
    }

    @Override
    public void await(long ticket, long deadlineNanos) {
        lanes().await(ticket, deadlineNanos);
    }

    private CopyLanes lanes() {
        return local.context().copyLanes();
    }

    @Override
    public void close() {
        try {
            if (slot != null) {
                slot.close();
                slot = null;
            }
        } finally {
            if (kernels != null) {
                kernels.close();
                kernels = null;
            }
        }
    }
}
