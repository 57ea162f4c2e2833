package io.jccl.net.tcp;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.OpHeader;
import io.jccl.transport.SendTracker;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The direct write path against a receiver that reads nothing until the sender has written everything: the
 * socket fills, frames go half direct and half through the event loop, and the byte stream the receiver
 * finally reads is every frame, whole and in the order sent, with every send ticket completed.
 */
@Timeout(120)
@Tag("slow")
class ChannelWriterTest {
    private static final int COPY_MAX = 16 * 1024;

    @org.junit.jupiter.params.ParameterizedTest(name = "direct path {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void framesStayWholeAndInOrderWhenTheSocketFills(boolean direct) throws Exception {
        assumeTrue(Epoll.isAvailable(), "the direct path needs the native epoll transport: " + Epoll.unavailabilityCause());
        Random random = new Random(5);
        int frames = 600;
        int[] lengths = new int[frames];
        long total = 0;
        for (int i = 0; i < frames; i++) {
            lengths[i] = random.nextInt(4) == 0 ? COPY_MAX + 1 + random.nextInt(100_000) : random.nextInt(COPY_MAX + 1);
            total += FrameDescriptor.HEADER_BYTES + lengths[i];
        }
        ByteBuffer payloads = ByteBuffer.allocateDirect((int) total); // every frame its own region: never reused
        for (int i = 0; i < payloads.capacity(); i++) {
            payloads.put(i, (byte) random.nextInt());
        }
        // the same bytes on the heap: every third frame is sent from there (no memory address, copied on the way)
        ByteBuffer heapPayloads = ByteBuffer.allocate(payloads.capacity()).put(payloads.duplicate()).clear();
        total += 40 * ((frames + 49) / 50); // the control frames
        ByteBuf expected = Unpooled.buffer((int) total);
        ByteBuf received = Unpooled.buffer((int) total);
        CompletableFuture<Void> all = new CompletableFuture<>();

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try {
            Channel[] chans = connect(group, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    received.writeBytes(b);
                    b.release();
                    if (received.writerIndex() == received.capacity()) {
                        all.complete(null);
                    }
                }
            });
            Channel server = chans[0];
            Channel client = chans[1];
            Channel peer = chans[2];

            ChannelWriter writer;
            System.setProperty("jccl.net.nodirect", Boolean.toString(!direct));
            try {
                writer = ChannelWriter.of(client, COPY_MAX);
            } finally {
                System.clearProperty("jccl.net.nodirect");
            }
            SendTracker tracker = new SendTracker();
            int offset = 0;
            for (int i = 0; i < frames; i++) {
                OpHeader h = new OpHeader(7, i + 1, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, lengths[i]);
                FrameDescriptor.writeData(expected, lengths[i], 7, h.seq(), i, h.collective(), h.type(), h.op(),
                        h.root(), h.count());
                expected.writeBytes(payloads.duplicate().limit(offset + lengths[i]).position(offset));
                writer.writeData(h, 7, i, i % 3 == 0 ? heapPayloads : payloads, offset, lengths[i], tracker,
                        tracker.issue(), "test");
                offset += lengths[i];
                if (i % 50 == 0) { // a control frame in between, direct or on the heap, keeps its place too
                    ByteBuf control = i % 100 == 0 ? client.alloc().directBuffer(40) : Unpooled.buffer(40);
                    for (int b = 0; b < 40; b++) {
                        control.writeByte(i + b);
                    }
                    expected.writeBytes(control, 0, 40);
                    writer.writeControl(control);
                }
            }
            peer.config().setAutoRead(true);
            try {
                all.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("received " + received.writerIndex() + " of " + total + " bytes; tickets: "
                        + tracker.lastIssued(), e);
            }
            tracker.await(frames, System.nanoTime() + TimeUnit.SECONDS.toNanos(30), "test");
            assertEquals(expected.readableBytes(), received.readableBytes());
            assertTrue(expected.equals(received), "the received byte stream differs from the frames sent, in order");
            long[] counts = TcpProbe.writerCounts(writer);
            assertEquals(frames + (frames + 49) / 50, counts[0] + counts[1],
                    "data and control frames counted: " + Arrays.toString(counts));
            if (direct) {
                assertTrue(counts[0] > 0 && counts[1] > 0,
                        "both paths taken (the socket filled): " + Arrays.toString(counts));
            } else {
                assertEquals(0, counts[0], "no direct writes with -Djccl.net.nodirect=true");
            }
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            expected.release();
            received.release();
        }
    }

    /**
     * A second burst of frames that wait for the event loop reuses the first burst's frames (a burst's first frame may
     * go directly or not, so the second may need one more): a ring sends a whole
     * chunk ahead, and making each frame anew allocated 36-39 KB per 64 MiB all-reduce.
     */
    @Test
    void aSecondBurstOfQueuedFramesMakesNoNewOnes() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the direct path needs the native epoll transport: " + Epoll.unavailabilityCause());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try {
            java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
            Channel[] chans = connect(group, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.addAndGet(((ByteBuf) msg).readableBytes());
                    ((ByteBuf) msg).release();
                }
            });
            ChannelWriter writer = ChannelWriter.of(chans[1], COPY_MAX);
            SendTracker tracker = new SendTracker();
            ByteBuffer payload = ByteBuffer.allocateDirect(64 * 1024);
            int frames = 100;
            long[] made = new long[2];
            for (int burst = 0; burst < 2; burst++) {
                chans[2].config().setAutoRead(false);
                for (int i = 0; i < frames; i++) {
                    OpHeader h = new OpHeader(7, burst * frames + i + 1, Collective.ALL_REDUCE, DataType.UINT8,
                            ReduceOp.SUM, -1, payload.capacity());
                    writer.writeData(h, 7, i, payload, 0, payload.capacity(), tracker, tracker.issue(), "test");
                }
                chans[2].config().setAutoRead(true);
                tracker.await(tracker.lastIssued(), System.nanoTime() + TimeUnit.SECONDS.toNanos(30), "test");
                made[burst] = TcpProbe.writerCounts(writer)[2];
            }
            assertTrue(made[0] > 50, "the first burst waited for the event loop: " + Arrays.toString(TcpProbe.writerCounts(writer)));
            // reused frames: never more made than were ever queued at once (one burst); without reuse, nearly twice that
            assertTrue(made[1] <= frames, "frames made after the first and the second burst: " + Arrays.toString(made));
            chans[1].close().sync();
            chans[0].close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Frames still waiting when the connection closes fail their tickets: no send is left pending. */
    @Test
    void framesQueuedWhenTheConnectionClosesFailTheirTickets() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the direct path needs the native epoll transport: " + Epoll.unavailabilityCause());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try {
            Channel[] chans = connect(group, new ChannelInboundHandlerAdapter());
            Channel server = chans[0];
            Channel client = chans[1];
            ChannelWriter writer = ChannelWriter.of(client, COPY_MAX);
            SendTracker tracker = new SendTracker();
            ByteBuffer payload = ByteBuffer.allocateDirect(1 << 20);
            int frames = 40; // 40 MiB: far more than the socket buffers hold while the receiver reads nothing
            for (int i = 0; i < frames; i++) {
                OpHeader h = new OpHeader(7, i + 1, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, 1 << 20);
                writer.writeData(h, 7, i, payload, 0, 1 << 20, tracker, tracker.issue(), "rank=0 peer=1");
            }
            assertTrue(TcpProbe.writerCounts(writer)[1] > 0, "frames queued: " + Arrays.toString(TcpProbe.writerCounts(writer)));
            client.close().sync();
            io.jccl.PeerFailureException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jccl.PeerFailureException.class,
                    () -> tracker.await(frames, System.nanoTime() + TimeUnit.SECONDS.toNanos(20), "rank=0 peer=1"));
            assertTrue(e.getMessage().contains("rank=0 peer=1"), e.getMessage());
            // a frame sent after the close fails too, rather than wait for a write that cannot happen
            SendTracker late = new SendTracker();
            OpHeader h = new OpHeader(7, frames + 1, Collective.ALL_REDUCE, DataType.UINT8, ReduceOp.SUM, -1, 1 << 20);
            writer.writeData(h, 7, frames, payload, 0, 1 << 20, late, late.issue(), "rank=0 peer=1");
            org.junit.jupiter.api.Assertions.assertThrows(io.jccl.PeerFailureException.class,
                    () -> late.await(1, System.nanoTime() + TimeUnit.SECONDS.toNanos(20), "rank=0 peer=1"));
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * {server, client, accepted peer}: a client with a 4 KiB send buffer connected over loopback to a server whose
     * accepted channel reads nothing until auto-read is turned on, and then passes what it reads to {@code peerHandler}.
     */
    private static Channel[] connect(EventLoopGroup group, io.netty.channel.ChannelHandler peerHandler) throws Exception {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(peerHandler);
                        accepted.complete(ch);
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Channel client = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .option(ChannelOption.SO_SNDBUF, 4096)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.localAddress()).sync().channel();
        return new Channel[] {server, client, accepted.get(10, TimeUnit.SECONDS)};
    }
}
