package io.jccl.net.wire;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FrameDecoder} on an {@link EmbeddedChannel}: frames split at every byte boundary decode to the same
 * fields and payload; every kind of bad header raises {@link CorruptedFrameException} and delivers nothing; and
 * every buffer the decoder allocated or was handed is released.
 */
@Timeout(60)
class FrameDecoderTest {
    /** Records every buffer the decoder allocates, to check that each is released. */
    static final class TrackingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> allocated = new ArrayList<>();

        TrackingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private TrackingAllocator alloc;
    private final List<ByteBuf> inputs = new ArrayList<>();

    @BeforeEach
    void setUp() {
        alloc = new TrackingAllocator();
    }

    @AfterEach
    void everyBufferReleased() {
        for (ByteBuf b : inputs) {
            assertEquals(0, b.refCnt(), "an input buffer handed to the decoder was not released");
        }
        for (ByteBuf b : alloc.allocated) {
            assertEquals(0, b.refCnt(), "a buffer the decoder allocated was not released: " + b);
        }
    }

    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(new FrameDecoder(new CopiedSegment.Pool(new RecvBufferCache(1 << 20)), true));
        return ch;
    }

    /** A copy of {@code frame[from, to)} as a fresh buffer that the decoder must release. */
    private ByteBuf piece(byte[] frame, int from, int to) {
        ByteBuf b = Unpooled.buffer(to - from);
        b.writeBytes(frame, from, to - from);
        inputs.add(b);
        return b;
    }

    private static byte[] bytes(Consumer<ByteBuf> writer) {
        ByteBuf b = Unpooled.buffer();
        try {
            writer.accept(b);
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    /** A HELLO control frame (72-byte payload: rank, size, zero nonce and MAC). */
    private static byte[] hello(int rank, int size) {
        return bytes(b -> {
            FrameDescriptor.writeControl(b, FrameDescriptor.TYPE_HELLO, 72, 0, 0);
            b.writeInt(rank).writeInt(size).writeZero(64);
        });
    }

    /** Asserts {@code m} is a HELLO control frame carrying rank and size, and releases it. */
    private static void assertHello(Object m, int rank, int size, String why) {
        assertTrue(m instanceof FrameDecoder.Control, why + ": " + m);
        FrameDecoder.Control c = (FrameDecoder.Control) m;
        try {
            assertEquals(FrameDescriptor.TYPE_HELLO, c.type(), why);
            assertEquals(72, c.payload().readableBytes(), why);
            assertEquals(rank, c.payload().getInt(0), why);
            assertEquals(size, c.payload().getInt(4), why);
        } finally {
            c.payload().release();
        }
    }

    private static byte[] data(byte[] payload, long stream, long seq, long tag, Collective c, DataType t, ReduceOp op,
                               int root, long count) {
        return bytes(b -> {
            FrameDescriptor.writeData(b, payload.length, stream, seq, tag, c, t, op, root, count);
            b.writeBytes(payload);
        });
    }

    private static byte[] payload(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 31 + 7);
        }
        return p;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static byte[] segmentBytes(CopiedSegment s) {
        ByteBuffer b = s.buffer();
        byte[] out = new byte[s.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get(s.offset() + i);
        }
        return out;
    }

    // ------------------------------------------------------------------ valid frames

    @Test
    void helloSplitAtEveryByteDecodes() {
        byte[] frame = hello(3, 8);
        assertEquals(FrameDescriptor.HEADER_BYTES + 72, frame.length);
        for (int cut = 0; cut <= frame.length; cut++) {
            EmbeddedChannel ch = channel();
            ch.writeInbound(piece(frame, 0, cut));
            ch.writeInbound(piece(frame, cut, frame.length));
            Object m = ch.readInbound();
            assertHello(m, 3, 8, "cut at " + cut);
            assertNull(ch.readInbound());
            assertFalse(ch.finish());
        }
    }

    @Test
    void dataSplitAtEveryByteDecodes() {
        byte[] p = payload(37);
        byte[] frame = data(p, 0x1122334455667788L, 42, (3L << 62) | (5L << 32) | 9, Collective.REDUCE_SCATTER,
                DataType.BFLOAT16, ReduceOp.MAX, 6, 1L << 40);
        assertEquals(FrameDescriptor.HEADER_BYTES + 37, frame.length);
        for (int cut = 0; cut <= frame.length; cut++) {
            EmbeddedChannel ch = channel();
            ch.writeInbound(piece(frame, 0, cut));
            ch.writeInbound(piece(frame, cut, frame.length));
            CopiedSegment s = assertInstanceOf(CopiedSegment.class, ch.readInbound(), "cut at " + cut);
            try {
                assertEquals(0x1122334455667788L, s.stream());
                assertEquals(42, s.seq());
                assertEquals((3L << 62) | (5L << 32) | 9, s.tag());
                assertEquals(Collective.REDUCE_SCATTER, s.collective());
                assertEquals(DataType.BFLOAT16, s.type());
                assertEquals(ReduceOp.MAX, s.op());
                assertEquals(6, s.root());
                assertEquals(1L << 40, s.count());
                assertEquals(37, s.length());
                assertArrayEquals(p, segmentBytes(s), "payload, cut at " + cut);
            } finally {
                s.release();
            }
            assertNull(ch.readInbound());
            assertFalse(ch.finish());
        }
    }

    /** A sink that collects every frame, DATA or control, in {@code out}. */
    private static FrameSink into(List<Object> out) {
        return new FrameSink() {
            @Override
            public void onData(CopiedSegment segment) {
                out.add(segment);
            }

            @Override
            public void onControl(FrameDecoder.Control control) {
                out.add(control);
            }
        };
    }

    /**
     * A rank that reads its socket itself puts the rest of a DATA payload straight into the decoder's buffer
     * ({@link FrameDecoder#payloadToFill}): from any point after the header, in two reads, the frame decodes to the
     * same segment, and the frame after it decodes as usual.
     */
    @Test
    void payloadFilledInPlaceDecodesLikeACopiedOne() {
        byte[] p = payload(300);
        byte[] frame = data(p, 4, 7, 11, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 75);
        byte[] next = data(payload(5), 4, 8, 12, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 75);
        int h = FrameDescriptor.HEADER_BYTES;
        for (int cut = h - 1; cut < frame.length; cut++) {
            EmbeddedChannel ch = channel();
            FrameDecoder decoder = ch.pipeline().get(FrameDecoder.class);
            List<Object> out = new ArrayList<>();
            ch.writeInbound(piece(frame, 0, cut));
            ByteBuffer fill = decoder.payloadToFill();
            if (cut < h) {
                assertNull(fill, "no payload before the header is whole");
                ch.writeInbound(piece(frame, cut, h));
                cut = h;
                fill = decoder.payloadToFill();
            }
            assertEquals(cut - h, fill.position(), "bytes of the payload so far, cut at " + cut);
            assertEquals(p.length, fill.limit());
            int half = (frame.length - cut) / 2;
            fill.duplicate().put(frame, cut, half); // as a socket read: the bytes land, the position stays
            decoder.payloadFilled(half, into(out));
            assertTrue(out.isEmpty(), "delivered before the payload was whole, cut at " + cut);
            fill = decoder.payloadToFill();
            fill.duplicate().put(frame, cut + half, frame.length - cut - half);
            decoder.payloadFilled(frame.length - cut - half, into(out));
            assertNull(decoder.payloadToFill(), "no payload in progress after the frame");
            ch.writeInbound(piece(next, 0, next.length));
            CopiedSegment s = assertInstanceOf(CopiedSegment.class, out.get(0), "cut at " + cut);
            CopiedSegment s2 = assertInstanceOf(CopiedSegment.class, ch.readInbound(), "the next frame");
            try {
                assertEquals(1, out.size());
                assertEquals(7, s.seq());
                assertEquals(11, s.tag());
                assertArrayEquals(p, segmentBytes(s), "payload, cut at " + cut);
                assertEquals(8, s2.seq());
                assertArrayEquals(payload(5), segmentBytes(s2));
            } finally {
                s.release();
                s2.release();
            }
            assertNull(ch.readInbound());
            assertFalse(ch.finish());
        }
    }

    @Test
    void severalFramesByteByByteAndInOneBuffer() {
        byte[] a = data(payload(5), 1, 1, 7, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 100);
        byte[] empty = data(new byte[0], 1, 2, 8, Collective.BARRIER, DataType.UINT8, null, -1, 0);
        byte[] b = data(payload(300), 9, 3, 0, Collective.BROADCAST, DataType.INT64, null, 2, 5);
        byte[] all = concat(hello(1, 2), a, empty, b);
        for (boolean byteByByte : new boolean[] {true, false}) {
            EmbeddedChannel ch = channel();
            if (byteByByte) {
                for (int i = 0; i < all.length; i++) {
                    ch.writeInbound(piece(all, i, i + 1));
                }
            } else {
                ch.writeInbound(piece(all, 0, all.length));
            }
            assertHello(ch.readInbound(), 1, 2, "first frame");
            CopiedSegment s1 = ch.readInbound();
            CopiedSegment s2 = ch.readInbound();
            CopiedSegment s3 = ch.readInbound();
            try {
                assertArrayEquals(payload(5), segmentBytes(s1));
                assertEquals(ReduceOp.SUM, s1.op());
                assertEquals(0, s2.length(), "zero-length DATA frame");
                assertEquals(Collective.BARRIER, s2.collective());
                assertNull(s2.op(), "op code 255 means none");
                assertEquals(8, s2.tag());
                assertArrayEquals(payload(300), segmentBytes(s3));
                assertEquals(2, s3.root());
                assertEquals(9, s3.stream());
            } finally {
                s1.release();
                s2.release();
                s3.release();
            }
            assertNull(ch.readInbound());
            assertFalse(ch.finish());
        }
    }

    @Test
    void truncatedFrameDeliversNothingAndReleasesOnClose() {
        byte[] frame = data(payload(64), 1, 1, 1, Collective.ALL_GATHER, DataType.INT8, null, -1, 64);
        for (int cut : new int[] {1, FrameDescriptor.HEADER_BYTES - 1, FrameDescriptor.HEADER_BYTES,
                FrameDescriptor.HEADER_BYTES + 10, frame.length - 1}) {
            EmbeddedChannel ch = channel();
            ch.writeInbound(piece(frame, 0, cut));
            assertNull(ch.readInbound(), "cut at " + cut);
            assertFalse(ch.finish()); // closing releases the partial header and payload
        }
    }

    // ------------------------------------------------------------------ bad frames

    private void assertRejected(byte[] frame, String what) {
        for (boolean byteByByte : new boolean[] {false, true}) {
            EmbeddedChannel ch = channel();
            if (byteByByte) {
                boolean thrown = false;
                for (int i = 0; i < frame.length && !thrown; i++) {
                    int at = i;
                    try {
                        ch.writeInbound(piece(frame, at, at + 1));
                    } catch (CorruptedFrameException e) {
                        thrown = true;
                        assertTrue(at >= FrameDescriptor.HEADER_BYTES - 1, what + ": rejected before the header was complete");
                    }
                }
                assertTrue(thrown, what + ": byte-by-byte frame was accepted");
            } else {
                assertThrows(CorruptedFrameException.class, () -> ch.writeInbound(piece(frame, 0, frame.length)), what);
            }
            assertNull(ch.readInbound(), what + ": something was delivered");
            // once failed, the decoder delivers nothing more, even a valid frame, and still releases its input
            ch.writeInbound(piece(hello(1, 2), 0, FrameDescriptor.HEADER_BYTES + 8));
            assertNull(ch.readInbound(), what + ": a frame after the corrupt one was delivered");
            ch.finishAndReleaseAll();
        }
    }

    private static byte[] withByte(byte[] frame, int at, int value) {
        byte[] f = frame.clone();
        f[at] = (byte) value;
        return f;
    }

    private static byte[] withInt(byte[] frame, int at, int value) {
        byte[] f = frame.clone();
        f[at] = (byte) (value >>> 24);
        f[at + 1] = (byte) (value >>> 16);
        f[at + 2] = (byte) (value >>> 8);
        f[at + 3] = (byte) value;
        return f;
    }

    private static byte[] goodData() {
        return data(payload(16), 1, 1, 1, Collective.ALL_REDUCE, DataType.FLOAT32, ReduceOp.SUM, -1, 4);
    }

    @Test
    void badMagic() {
        assertRejected(withByte(goodData(), 0, 0x4B), "bad magic");
        assertRejected(withByte(hello(1, 2), 1, 0), "bad magic in HELLO");
    }

    @Test
    void badVersion() {
        assertRejected(withByte(goodData(), FrameDescriptor.VERSION_OFFSET, FrameDescriptor.VERSION + 1), "bad version");
        assertRejected(withByte(goodData(), FrameDescriptor.VERSION_OFFSET, 0), "version 0");
    }

    @Test
    void unknownFrameType() {
        assertRejected(withByte(goodData(), FrameDescriptor.TYPE_OFFSET, 0), "type 0");
        assertRejected(withByte(goodData(), FrameDescriptor.TYPE_OFFSET, 8), "type 8");
        assertRejected(withByte(goodData(), FrameDescriptor.TYPE_OFFSET, 0xff), "type 255");
    }

    @Test
    void lengthOutOfRange() {
        assertRejected(withInt(goodData(), FrameDescriptor.LENGTH_OFFSET, FrameDescriptor.MAX_PAYLOAD + 1), "length > MAX_PAYLOAD");
        assertRejected(withInt(goodData(), FrameDescriptor.LENGTH_OFFSET, Integer.MAX_VALUE), "length MAX_VALUE");
        assertRejected(withInt(goodData(), FrameDescriptor.LENGTH_OFFSET, -1), "negative length");
        assertRejected(withInt(goodData(), FrameDescriptor.LENGTH_OFFSET, Integer.MIN_VALUE), "length MIN_VALUE");
        assertRejected(withInt(hello(1, 2), FrameDescriptor.LENGTH_OFFSET, FrameDescriptor.MAX_CONTROL_PAYLOAD + 1),
                "control frame over MAX_CONTROL_PAYLOAD");
    }

    @Test
    void unknownCollectiveTypeOrOpCodes() {
        assertRejected(withByte(goodData(), FrameDescriptor.COLLECTIVE_OFFSET, 0), "collective 0");
        assertRejected(withByte(goodData(), FrameDescriptor.COLLECTIVE_OFFSET, 200), "collective 200");
        assertRejected(withByte(goodData(), FrameDescriptor.DTYPE_OFFSET, DataType.values().length), "dtype past the last");
        assertRejected(withByte(goodData(), FrameDescriptor.DTYPE_OFFSET, 0xff), "dtype 255");
        assertRejected(withByte(goodData(), FrameDescriptor.OP_OFFSET, ReduceOp.values().length), "op past the last");
        assertRejected(withByte(goodData(), FrameDescriptor.OP_OFFSET, 254), "op 254");
    }

    @Test
    void maximumPayloadLengthIsAccepted() {
        // a header announcing exactly MAX_PAYLOAD is valid; nothing is delivered until the payload arrives
        byte[] head = withInt(goodData(), FrameDescriptor.LENGTH_OFFSET, FrameDescriptor.MAX_PAYLOAD);
        EmbeddedChannel ch = channel();
        ch.writeInbound(piece(head, 0, FrameDescriptor.HEADER_BYTES + 16));
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }
}
