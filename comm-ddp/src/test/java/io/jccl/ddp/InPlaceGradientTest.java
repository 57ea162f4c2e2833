package io.jccl.ddp;

import io.jccl.DataType;
import io.jccl.buffer.StagedBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A gradient in memory the reducer cannot copy (a {@link StagedBuffer}, as comm-cuda's device buffers) is a bucket
 * of its own, all-reduced in place by the communicator, and never compressed.
 */
@Timeout(60)
class InPlaceGradientTest {
    /** "Device" memory on the heap, staged by the communicator like a GPU buffer. */
    static final class FakeDevice implements StagedBuffer {
        final ByteBuffer mem;

        FakeDevice(int bytes) {
            mem = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
        }

        @Override
        public void copyToHost(long offset, ByteBuffer dst, int dstOffset, int length) {
            dst.put(dstOffset, mem, (int) offset, length);
        }

        @Override
        public void copyFromHost(ByteBuffer src, int srcOffset, long offset, int length) {
            mem.put((int) offset, src, srcOffset, length);
        }

        @Override
        public long byteSize() {
            return mem.capacity();
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        @Override
        public boolean isClosed() {
            return false;
        }
    }

    @Test
    void deviceGradientIsItsOwnBucketAllReducedInPlace() {
        List<float[]> got = Ranks.run(2, false, comm -> {
            FakeDevice dev = new FakeDevice(400);
            float[] host = new float[10];
            try (GradientReducer r = GradientReducer.builder(comm).wireFormat(WireFormat.BF16)
                    .register("dev", dev, 100, DataType.FLOAT32).register("host", host).build()) {
                assertEquals(List.of(List.of("host"), List.of("dev")), r.bucketLayout());
                assertEquals(400 + 20, r.wireBytesPerStep(), "the device bucket is not compressed");
                for (int i = 0; i < 100; i++) {
                    dev.mem.putFloat(4 * i, comm.rank() == 0 ? 1.0001f : 2.0001f);
                }
                java.util.Arrays.fill(host, comm.rank());
                r.markReady(host);
                r.markReady(dev);
                r.finish();
                return new float[] {dev.mem.getFloat(4 * 99), host[9]};
            }
        });
        for (float[] g : got) {
            assertEquals((1.0001f + 2.0001f) / 2, g[0], "fp32 average, in place");
            assertEquals(0.5f, g[1]);
        }
    }
}
