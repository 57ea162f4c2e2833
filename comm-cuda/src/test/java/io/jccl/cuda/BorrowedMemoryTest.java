package io.jccl.cuda;

import io.jccl.InvalidUsageException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Borrowed device memory without a GPU: the checks that {@link DeviceBuffer#wrap} and the copies make before any
 * CUDA call, with the messages a caller sees. (Wrapping, slicing and stream views on a device:
 * {@code DeviceBufferGpuTest}.)
 */
class BorrowedMemoryTest {
    @Test
    void wrapRefusesBadArgumentsBeforeAnyCudaCall() {
        assertEquals("DeviceBuffer.wrap: context is null",
                assertThrows(InvalidUsageException.class, () -> DeviceBuffer.wrap(null, 0x1000, 64)).getMessage());
    }

    @Test
    void wrapChecksPointerAndSize() {
        String neg = assertThrows(InvalidUsageException.class,
                () -> DeviceChecks.checkWrap(0x1000, -1)).getMessage();
        assertEquals("DeviceBuffer.wrap: bytes=-1 must be >= 0", neg);
        String nul = assertThrows(InvalidUsageException.class,
                () -> DeviceChecks.checkWrap(0, 8)).getMessage();
        assertEquals("DeviceBuffer.wrap: device pointer is 0 (NULL) for 8 bytes", nul);
        String wraps = assertThrows(InvalidUsageException.class,
                () -> DeviceChecks.checkWrap(-16L, 32)).getMessage();
        assertTrue(wraps.contains("pointer=0xfffffffffffffff0 + 32 bytes wraps around"), wraps);
        assertDoesNotThrow(() -> DeviceChecks.checkWrap(0, 0));
        assertDoesNotThrow(() -> DeviceChecks.checkWrap(0x7f00_0000_0000L, 1L << 30));
    }

    @Test
    void hostSideOfACopyIsChecked() {
        ByteBuffer heap = ByteBuffer.allocate(16);
        assertEquals("copyToHostAsync: host buffer must be direct (ByteBuffer.allocateDirect)",
                assertThrows(InvalidUsageException.class,
                        () -> DeviceChecks.checkHost("copyToHostAsync", heap, 0, 8, true)).getMessage());
        ByteBuffer ro = ByteBuffer.allocateDirect(16).asReadOnlyBuffer();
        assertEquals("copyToHost: host buffer is read-only", assertThrows(InvalidUsageException.class,
                () -> DeviceChecks.checkHost("copyToHost", ro, 0, 8, true)).getMessage());
        assertDoesNotThrow(() -> DeviceChecks.checkHost("copyFromHost", ro, 8, 8, false));
        assertEquals("copyFromHost: host bytes [9, 17) outside host buffer of 16 bytes",
                assertThrows(InvalidUsageException.class,
                        () -> DeviceChecks.checkHost("copyFromHost", ro, 9, 8, false)).getMessage());
    }

}
