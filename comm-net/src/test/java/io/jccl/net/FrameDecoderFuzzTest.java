package io.jccl.net;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes {@link FrameDecoder} (jqwik): random bytes, and valid frames with random mutations (flipped
 * bytes, truncation, splicing), cut into random pieces. The decoder must either deliver frames or raise
 * {@link CorruptedFrameException}; never another exception, never a leaked buffer, and before the handshake
 * never hold more than a control frame.
 */
class FrameDecoderFuzzTest {
    private static byte[] validFrames(int seed) {
        ByteBuf b = Unpooled.buffer();
        java.util.Random r = new java.util.Random(seed);
        int frames = 1 + r.nextInt(4);
        for (int i = 0; i < frames; i++) {
            if (r.nextBoolean()) {
                int len = r.nextInt(300);
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

    @Provide
    Arbitrary<byte[]> mutatedFrames() {
        return Combinators.combine(Arbitraries.integers(), Arbitraries.integers().between(0, 8),
                Arbitraries.longs()).as((seed, flips, salt) -> {
                    byte[] f = validFrames(seed);
                    java.util.Random r = new java.util.Random(salt);
                    for (int i = 0; i < flips; i++) {
                        f[r.nextInt(f.length)] = (byte) r.nextInt(256);
                    }
                    if (r.nextInt(4) == 0) {
                        f = java.util.Arrays.copyOf(f, r.nextInt(f.length + 1));
                    }
                    return f;
                });
    }

    @Provide
    Arbitrary<byte[]> randomBytes() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(400);
    }

    @Provide
    Arbitrary<Tuple.Tuple2<byte[], List<Integer>>> cutFrames() {
        return Combinators.combine(mutatedFrames(), Arbitraries.integers().between(1, 64).list().ofMaxSize(20))
                .as(Tuple::of);
    }

    @Property(tries = 3000)
    void mutatedFramesDecodeOrFailCleanly(@ForAll("cutFrames") Tuple.Tuple2<byte[], List<Integer>> in) {
        feed(in.get1(), in.get2(), true);
    }

    @Property(tries = 2000)
    void randomBytesDecodeOrFailCleanly(@ForAll("randomBytes") byte[] in,
                                        @ForAll("pieces") List<Integer> cuts) {
        feed(in, cuts, true);
    }

    @Property(tries = 2000)
    void beforeTheHandshakeNoDataIsAcceptedAndLittleIsHeld(@ForAll("mutatedFrames") byte[] in) {
        List<Object> got = feed(in, List.of(17), false);
        for (Object o : got) {
            if (!(o instanceof FrameDecoder.Control)) {
                throw new AssertionError("delivered " + o + " before the handshake");
            }
        }
    }

    @Provide
    Arbitrary<List<Integer>> pieces() {
        return Arbitraries.integers().between(1, 64).list().ofMaxSize(20);
    }

    /** Feeds the bytes in pieces; returns what was delivered (released). */
    private static List<Object> feed(byte[] bytes, List<Integer> cuts, boolean dataAllowed) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(dataAllowed));
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
                if (d instanceof NetSegment s) {
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
