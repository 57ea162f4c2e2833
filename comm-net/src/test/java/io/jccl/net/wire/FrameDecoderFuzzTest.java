package io.jccl.net.wire;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Fuzzes {@link FrameDecoder} with seeded random inputs (reproducible; change {@link #SEED} to explore):
 * random bytes, and valid frames with random mutations (overwritten bytes, truncation), cut into random
 * pieces. The decoder must either deliver frames or raise
 * {@link CorruptedFrameException}; never another exception, never a leaked buffer, and before the handshake
 * never hold more than a control frame.
 */
@Timeout(120)
class FrameDecoderFuzzTest {
    private static final long SEED = 0x4A43434CL;
    private static byte[] validFrames(int seed) {
        ByteBuf b = Unpooled.buffer();
        Random r = new Random(seed);
        int frames = 1 + r.nextInt(4);
        for (int i = 0; i < frames; i++) {
            if (r.nextBoolean()) {
                int len = r.nextInt(25) == 0 ? 16 * 1024 + r.nextInt(4000) : r.nextInt(300);
                FrameDescriptor.writeData(b, len, r.nextLong(), r.nextLong(), r.nextLong(),
                        Collective.values()[r.nextInt(Collective.values().length)],
                        DataType.values()[r.nextInt(DataType.values().length)],
                        r.nextBoolean() ? null : ReduceOp.values()[r.nextInt(ReduceOp.values().length)], r.nextInt(),
                        r.nextLong());
                byte[] p = new byte[len];
                r.nextBytes(p);
                b.writeBytes(p);
            } else {
                int len = r.nextInt(100);
                FrameDescriptor.writeControl(b, FrameDescriptor.TYPE_ABORT, len, r.nextLong(), r.nextLong());
                b.writeZero(len);
            }
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    /** A valid frame sequence with up to 8 random bytes overwritten and, one time in four, truncated. */
    private static byte[] mutatedFrames(Random r) {
        byte[] f = validFrames(r.nextInt());
        int flips = r.nextInt(9);
        for (int i = 0; i < flips; i++) {
            f[r.nextInt(f.length)] = (byte) r.nextInt(256);
        }
        if (r.nextInt(4) == 0) {
            f = Arrays.copyOf(f, r.nextInt(f.length + 1));
        }
        return f;
    }

    /** Up to 20 piece lengths in [1, 64]. */
    private static List<Integer> pieces(Random r) {
        List<Integer> cuts = new ArrayList<>();
        for (int i = 0, n = r.nextInt(21); i < n; i++) {
            cuts.add(1 + r.nextInt(64));
        }
        return cuts;
    }

    @Test
    void mutatedFramesDecodeOrFailCleanly() {
        Random r = new Random(SEED);
        for (int i = 0; i < 3000; i++) {
            feed(mutatedFrames(r), pieces(r), true);
        }
    }

    @Test
    void randomBytesDecodeOrFailCleanly() {
        Random r = new Random(SEED + 1);
        for (int i = 0; i < 2000; i++) {
            byte[] in = new byte[r.nextInt(401)];
            r.nextBytes(in);
            if (r.nextBoolean() && in.length >= 4) {
                in[0] = (byte) (FrameDescriptor.MAGIC >>> 8); // get past the magic check half of the time
                in[1] = (byte) FrameDescriptor.MAGIC;
                in[2] = (byte) FrameDescriptor.VERSION;
            }
            feed(in, pieces(r), true);
        }
    }

    @Test
    void beforeTheHandshakeNoDataIsAcceptedAndLittleIsHeld() {
        Random r = new Random(SEED + 2);
        for (int i = 0; i < 2000; i++) {
            List<Object> got = feed(mutatedFrames(r), List.of(17), false);
            for (Object o : got) {
                if (!(o instanceof FrameDecoder.Control)) {
                    throw new AssertionError("delivered " + o + " before the handshake");
                }
            }
        }
    }

    /** Feeds the bytes in pieces; returns what was delivered (released). */
    private static List<Object> feed(byte[] bytes, List<Integer> cuts, boolean dataAllowed) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(new CopiedSegment.Pool(new RecvBufferCache(1 << 20)), dataAllowed));
        List<ByteBuf> sent = new ArrayList<>();
        List<Object> delivered = new ArrayList<>();
        int at = 0;
        int i = 0;
        try {
            while (at < bytes.length) {
                int n = Math.min(bytes.length - at, cuts.isEmpty() ? bytes.length : cuts.get(i++ % cuts.size()));
                ByteBuf piece = Unpooled.directBuffer(n).writeBytes(bytes, at, n);
                sent.add(piece);
                at += n;
                try {
                    ch.writeInbound(piece);
                } catch (CorruptedFrameException expected) {
                    break;
                }
                Object o;
                while ((o = ch.readInbound()) != null) {
                    delivered.add(o);
                }
            }
        } finally {
            Object o;
            while ((o = ch.readInbound()) != null) {
                delivered.add(o);
            }
            ch.finishAndReleaseAll();
            for (Object d : delivered) {
                if (d instanceof CopiedSegment s) {
                    s.release();
                } else if (d instanceof FrameDecoder.Control c) {
                    c.payload().release();
                } else {
                    ReferenceCountUtil.release(d);
                }
            }
        }
        for (ByteBuf b : sent) {
            if (b.refCnt() != 0) {
                throw new AssertionError("an input buffer was not released (refCnt=" + b.refCnt() + ")");
            }
        }
        return delivered;
    }
}
