package io.jccl.cuda;

import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;

/**
 * The checked asynchronous copies between a {@link DeviceBuffer} and host memory on one stream, shared by the
 * buffer's own copies, its {@link CopyLanes} and the device-side reduction ({@link CudaSegmentSteps}). Stateless.
 */
final class HostCopies {
    private HostCopies() {
    }

    /**
     * Checks and queues {@code cuMemcpyDtoHAsync} of {@code length} bytes from byte {@code offset} of {@code buf}
     * into {@code dst} at absolute index {@code dstOffset}, on {@code stream} (null: the legacy default stream).
     *
     * @return false for 0 bytes (nothing queued), else true
     * @throws io.jccl.InvalidUsageException as {@link DeviceBuffer#copyToHost}, naming {@code what}
     */
    static boolean toHost(DeviceBuffer buf, String what, long offset, ByteBuffer dst, int dstOffset, int length,
                          CUstream stream) {
        return copy(buf, what, offset, dst, dstOffset, length, stream, true);
    }

    /**
     * Checks and queues {@code cuMemcpyHtoDAsync} of {@code length} bytes of {@code src} from absolute index
     * {@code srcOffset} to byte {@code offset} of {@code buf}, on {@code stream} (null: the legacy default stream).
     *
     * @return false for 0 bytes (nothing queued), else true
     * @throws io.jccl.InvalidUsageException as {@link DeviceBuffer#copyFromHost}, naming {@code what}
     */
    static boolean toDevice(DeviceBuffer buf, String what, ByteBuffer src, int srcOffset, long offset, int length,
                            CUstream stream) {
        return copy(buf, what, offset, src, srcOffset, length, stream, false);
    }

    /** {@link #toHost} ({@code toHost}) or {@link #toDevice}: the same checks, then the copy of that direction. */
    private static boolean copy(DeviceBuffer buf, String what, long offset, ByteBuffer host, int hostOffset, int length,
                                CUstream stream, boolean toHost) {
        buf.checkRange(what, offset, length);
        DeviceChecks.checkHost(what, host, hostOffset, length, toHost);
        if (length == 0) {
            return false;
        }
        buf.context().makeCurrent();
        Pointer hostAt = Pointer.to(host).withByteOffset(hostOffset);
        if (toHost) {
            CudaException.check("cuMemcpyDtoHAsync bytes=" + length + " offset=" + offset,
                    JCudaDriver.cuMemcpyDtoHAsync(hostAt, buf.at(offset), length, stream));
        } else {
            CudaException.check("cuMemcpyHtoDAsync bytes=" + length + " offset=" + offset,
                    JCudaDriver.cuMemcpyHtoDAsync(buf.at(offset), hostAt, length, stream));
        }
        return true;
    }
}
