package io.jccl.cuda;

import io.jccl.InvalidUsageException;

import java.nio.ByteBuffer;

/**
 * The argument checks of {@link DeviceBuffer}, made before any CUDA call, so that they are tested on machines
 * without a GPU. Stateless.
 */
final class DeviceChecks {
    private DeviceChecks() {
    }

    /** The checks of {@link #wrap}, made before any CUDA call. */
    static void checkWrap(long devicePointer, long bytes) {
        if (bytes < 0) {
            throw new InvalidUsageException("DeviceBuffer.wrap: bytes=" + bytes + " must be >= 0");
        }
        if (devicePointer == 0 && bytes > 0) {
            throw new InvalidUsageException("DeviceBuffer.wrap: device pointer is 0 (NULL) for " + bytes + " bytes");
        }
        if (Long.compareUnsigned(devicePointer + bytes, devicePointer) < 0) {
            throw new InvalidUsageException("DeviceBuffer.wrap: pointer=0x" + Long.toHexString(devicePointer)
                    + " + " + bytes + " bytes wraps around the address space");
        }
    }

    static void checkHost(String what, ByteBuffer host, int hostOffset, int length, boolean written) {
        if (host == null) {
            throw new InvalidUsageException(what + ": host buffer is null");
        }
        if (!host.isDirect()) {
            throw new InvalidUsageException(what + ": host buffer must be direct (ByteBuffer.allocateDirect)");
        }
        if (written && host.isReadOnly()) {
            throw new InvalidUsageException(what + ": host buffer is read-only");
        }
        if (hostOffset < 0 || length < 0 || hostOffset > host.capacity() - length) {
            throw new InvalidUsageException(what + ": host bytes [" + hostOffset + ", " + ((long) hostOffset + length)
                    + ") outside host buffer of " + host.capacity() + " bytes");
        }
    }

}
