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
        buf.checkRange(what, offset, length);
        DeviceChecks.checkHost(what, dst, dstOffset, length, true);
        if (length == 0) {
            return false;
        }
        buf.context().makeCurrent();
        CudaException.check("cuMemcpyDtoHAsync bytes=" + length + " offset=" + offset, JCudaDriver.cuMemcpyDtoHAsync(
                Pointer.to(dst).withByteOffset(dstOffset), buf.at(offset), length, stream));
        return true;
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
        buf.checkRange(what, offset, length);
        DeviceChecks.checkHost(what, src, srcOffset, length, false);
        if (length == 0) {
            return false;
        }
        buf.context().makeCurrent();
        CudaException.check("cuMemcpyHtoDAsync bytes=" + length + " offset=" + offset, JCudaDriver.cuMemcpyHtoDAsync(
                buf.at(offset), Pointer.to(src).withByteOffset(srcOffset), length, stream));
        return true;
    }
}
