package io.jccl.cuda;

import io.jccl.InvalidUsageException;
import io.jccl.buffer.HostBuffer;
import io.jccl.buffer.StagedBuffer;

import java.nio.ByteBuffer;

/**
 * A {@link DeviceBuffer} that collectives stage whole, as before the pipelined path: one blocking device-to-host
 * copy of the input before the host algorithm and one host-to-device copy of the output after it. For comparisons
 * (jccl-perf's {@code --staging whole}, the GPU check) and as a fallback; the same bits either way.
 *
 * <pre>{@code
 * comm.allReduce(WholeStaging.of(grads), count, DataType.FLOAT32, ReduceOp.SUM);
 * }</pre>
 *
 * <p>Holds no resource: closing it does nothing, the device buffer keeps its owner. Threading: as the buffer's.
 */
public final class WholeStaging implements StagedBuffer {
    private final DeviceBuffer buffer;

    private WholeStaging(DeviceBuffer buffer) {
        this.buffer = buffer;
    }

    /**
     * {@code buffer}, staged whole.
     *
     * @throws InvalidUsageException if {@code buffer} is null
     */
    public static WholeStaging of(DeviceBuffer buffer) {
        if (buffer == null) {
            throw new InvalidUsageException("WholeStaging.of: buffer is null");
        }
        return new WholeStaging(buffer);
    }

    /** The device buffer. */
    public DeviceBuffer buffer() {
        return buffer;
    }

    @Override
    public long byteSize() {
        return buffer.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return buffer.isReadOnly();
    }

    @Override
    public boolean isClosed() {
        return buffer.isClosed();
    }

    @Override
    public void copyToHost(long offset, ByteBuffer dst, int dstOffset, int length) {
        buffer.copyToHost(offset, dst, dstOffset, length);
    }

    @Override
    public void copyFromHost(ByteBuffer src, int srcOffset, long offset, int length) {
        buffer.copyFromHost(src, srcOffset, offset, length);
    }

    /** False: staged whole. */
    @Override
    public boolean copiesAsync() {
        return false;
    }

    @Override
    public void stagingBegins() {
        buffer.stagingBegins();
    }

    @Override
    public void stagingEnded() {
        buffer.stagingEnded();
    }

    @Override
    public HostBuffer allocateStaging(long bytes) {
        return buffer.allocateStaging(bytes);
    }

    @Override
    public String toString() {
        return "WholeStaging{" + buffer + "}";
    }
}
