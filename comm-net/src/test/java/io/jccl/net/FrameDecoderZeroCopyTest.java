package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Large DATA payloads are handed over as slices of the read buffers: whatever the read boundaries, the pieces
 * hold whole elements, together equal the payload, and every buffer is released afterwards.
 */
@Timeout(60)
class FrameDecoderZeroCopyTest {
    @Test
    void piecesAreWholeElementsAndRebuildThePayload() {
        Random r = new Random(7);
        for (DataType t : new DataType[] {DataType.FLOAT64, DataType.FLOAT32, DataType.FLOAT16, DataType.INT8}) {
            for (int trial = 0; trial < 40; trial++) {
                int count = FrameDecoder.ZERO_COPY_MIN_BYTES / t.bytes() + r.nextInt(5000);
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

                EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(true));
                List<ByteBuf> sent = new ArrayList<>();
                for (int at = 0; at < all.length; ) {
                    int n = Math.min(all.length - at, 1 + r.nextInt(3000));
                    ByteBuf piece = Unpooled.directBuffer(n).writeBytes(all, at, n);
                    sent.add(piece);
                    ch.writeInbound(piece);
                    at += n;
                }
                NetSegment big = ch.readInbound();
                NetSegment small = ch.readInbound();
                assertNull(ch.readInbound());
                try {
                    assertEquals(11, big.tag());
                    assertEquals(payload.length, big.length());
                    assertTrue(big.pieces() > 1, "expected several pieces, got " + big.pieces());
                    byte[] rebuilt = new byte[payload.length];
                    int at = 0;
                    for (int i = 0; i < big.pieces(); i++) {
                        assertEquals(0, big.pieceLength(i) % t.bytes(), t + " piece " + i + " splits an element");
                        ByteBuffer b = big.pieceBuffer(i);
                        b.get(big.pieceOffset(i), rebuilt, at, big.pieceLength(i));
                        at += big.pieceLength(i);
                    }
                    assertArrayEquals(payload, rebuilt);
                    byte[] gathered = new byte[payload.length];
                    big.buffer().get(big.offset(), gathered);
                    assertArrayEquals(payload, gathered);
                    assertEquals(0x01020304, small.buffer().getInt(small.offset()) == 0x01020304 ? 0x01020304
                            : Integer.reverseBytes(small.buffer().getInt(small.offset())));
                } finally {
                    big.release();
                    small.release();
                }
                ch.finishAndReleaseAll();
                for (ByteBuf b : sent) {
                    assertEquals(0, b.refCnt(), "a read buffer is still held");
                }
            }
        }
    }
}
