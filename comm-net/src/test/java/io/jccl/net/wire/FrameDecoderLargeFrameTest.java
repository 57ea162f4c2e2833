package io.jccl.net.wire;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Large DATA payloads arriving in reads of any size are copied whole into a kept buffer: each read buffer is
 * released as soon as it is copied, the payload is exact, and once a segment is released its buffer and the
 * segment itself carry the next message.
 */
@Timeout(60)
class FrameDecoderLargeFrameTest {
    @Test
    void payloadsAreCopiedWholeAndTheirBuffersReused() {
        Random r = new Random(7);
        CopiedSegment.Pool pool = new CopiedSegment.Pool(new RecvBufferCache(8 << 20));
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(pool, true));
        ByteBuffer lastBuffer = null;
        for (int trial = 0; trial < 40; trial++) {
            DataType t = DataType.values()[trial % DataType.values().length];
            int count = 16 * 1024 / t.bytes() + r.nextInt(5000);
            byte[] payload = new byte[count * t.bytes()];
            r.nextBytes(payload);
            ByteBuf frame = Unpooled.buffer();
            FrameDescriptor.writeData(frame, payload.length, 9, 3, 11, Collective.ALL_REDUCE, t, ReduceOp.SUM, -1, count);
            frame.writeBytes(payload);
            // and a small frame right behind it, in the same reads
            FrameDescriptor.writeData(frame, 4, 9, 3, 12, Collective.ALL_REDUCE, DataType.INT8, ReduceOp.SUM, -1, 4);
            frame.writeInt(0x01020304);
            byte[] all = new byte[frame.readableBytes()];
            frame.readBytes(all);
            frame.release();

            for (int at = 0; at < all.length; ) {
                int n = Math.min(all.length - at, 1 + r.nextInt(3000));
                ByteBuf read = Unpooled.directBuffer(n).writeBytes(all, at, n);
                ch.writeInbound(read);
                assertEquals(0, read.refCnt(), "a read buffer is still held after it was copied");
                at += n;
            }
            CopiedSegment big = ch.readInbound();
            CopiedSegment small = ch.readInbound();
            assertNull(ch.readInbound());
            assertEquals(11, big.tag());
            assertEquals(t, big.type());
            assertEquals(count, big.count());
            assertEquals(payload.length, big.length());
            byte[] got = new byte[payload.length];
            big.buffer().get(big.offset(), got);
            assertArrayEquals(payload, got);
            assertEquals(ByteOrder.nativeOrder(), big.buffer().order());
            assertEquals(4, small.length());
            for (int i = 0; i < 4; i++) {
                assertEquals(i + 1, small.buffer().get(small.offset() + i), "small frame byte " + i);
            }
            if (lastBuffer != null && RecvBufferCache.classBytes(payload.length) == lastBuffer.capacity()) {
                assertSame(lastBuffer, big.buffer(), "a released buffer of the same size class carries the next payload");
            }
            lastBuffer = big.buffer();
            small.release();
            big.release();
            assertEquals(2, pool.kept(), "both segments kept for the next messages");
        }
        assertFalse(ch.finishAndReleaseAll());
    }
}
