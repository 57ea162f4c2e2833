package io.jccl.buffer;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.jccl.CommConfig;
import io.jccl.DataType;
import io.jccl.InvalidUsageException;
import io.jccl.Jccl;
import io.jccl.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory a framework already has: Java arrays (staged) and native memory by address (borrowed, no copy). */
@Timeout(60)
class FrameworkMemoryTest {
    @Test
    void floatAndDoubleArraysAllReduceInPlaceAndOutOfPlace() {
        int n = 100_003;
        List<Boolean> ok = Jccl.runInProcess(3, CommConfig.fromKnobs(), comm -> {
            float[] f = new float[n];
            double[] d = new double[n + 10];
            for (int i = 0; i < n; i++) {
                f[i] = comm.rank() + i;
                d[i + 10] = comm.rank() * 0.5 + i;
            }
            comm.allReduce(HeapArrayBuffer.of(f), n, DataType.FLOAT32, ReduceOp.SUM);
            double[] out = new double[n];
            comm.allReduce(HeapArrayBuffer.of(d, 10, n), HeapArrayBuffer.of(out), n, DataType.FLOAT64, ReduceOp.SUM);
            for (int i = 0; i < n; i++) {
                assertEquals(3f + 3 * i, f[i], "float " + i);
                assertEquals(1.5 + 3.0 * i, out[i], "double " + i);
            }
            return true;
        });
        assertEquals(3, ok.size());
    }

    @Test
    void nativeMemoryByAddressIsUsedWithoutACopy() {
        List<float[]> got = Jccl.runInProcess(2, CommConfig.fromKnobs(), comm -> {
            ByteBuffer owner = ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder()); // "the framework's"
            long address = Pointer.nativeValue(Native.getDirectBufferPointer(owner));
            for (int i = 0; i < 1024; i++) {
                owner.putFloat(4 * i, comm.rank() + 1);
            }
            HostBuffer b = HostBuffer.wrapAddress(address, 4096);
            comm.allReduce(b, 1024, DataType.FLOAT32, ReduceOp.SUM);
            b.close(); // frees nothing: the memory is the caller's
            return new float[] {owner.getFloat(0), owner.getFloat(4 * 1023)};
        });
        assertArrayEquals(new float[] {3f, 3f}, got.get(0));
        assertArrayEquals(new float[] {3f, 3f}, got.get(1));
    }

    @Test
    void badArraysAndAddressesAreNamed() {
        assertTrue(assertThrows(InvalidUsageException.class, () -> HeapArrayBuffer.of((float[]) null))
                .getMessage().contains("null"));
        assertTrue(assertThrows(InvalidUsageException.class, () -> HeapArrayBuffer.of(new float[4], 2, 3))
                .getMessage().contains("[2, 5) outside an array of 4"));
        assertTrue(assertThrows(InvalidUsageException.class, () -> HostBuffer.wrapAddress(0, 8))
                .getMessage().contains("address is 0"));
        assertTrue(assertThrows(InvalidUsageException.class, () -> HostBuffer.wrapAddress(64, -1))
                .getMessage().contains("-1 bytes"));
    }

    @Test
    void anArrayOfAnotherTypeThanTheCallsIsRefusedBeforeAnyDataMoves() {
        Jccl.runInProcess(1, CommConfig.fromKnobs(), comm -> {
            double[] d = {1.5, 2.5};
            String m = assertThrows(InvalidUsageException.class, () ->
                    comm.allReduce(HeapArrayBuffer.of(d), 2, DataType.FLOAT32, ReduceOp.SUM)).getMessage();
            assertTrue(m.contains("rank=0 all_reduce: a buffer holds FLOAT64 elements but the call's type is FLOAT32"), m);
            assertArrayEquals(new double[] {1.5, 2.5}, d);
            m = assertThrows(InvalidUsageException.class, () -> comm.allReduceCoalesced(
                    new CommBuffer[] {HeapArrayBuffer.of(new float[2])}, new long[] {2}, DataType.INT32,
                    ReduceOp.SUM)).getMessage();
            assertTrue(m.contains("buffers[0] holds FLOAT32 elements, the call's type is INT32"), m);
            try (HostBuffer b = HostBuffer.allocate(2, DataType.FLOAT32)) {
                m = assertThrows(InvalidUsageException.class, () -> comm.allReduceCoalesced(
                        new CommBuffer[] {b.asReadOnly()}, new long[] {2}, DataType.FLOAT32, ReduceOp.SUM)).getMessage();
                assertTrue(m.contains("buffers[0] is read-only"), m);
            }
            return null;
        });
    }
}
