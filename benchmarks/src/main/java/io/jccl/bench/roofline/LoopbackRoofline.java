package io.jccl.bench.roofline;

import io.jccl.Communicator;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.buffer.HostBuffer;
import io.jccl.net.NetCommunicators;
import io.jccl.net.tcp.TcpCongestion;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
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
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The loopback roofline of issue 7: W processes (started by {@code bin/jccl-run -n W}), each streaming to the
 * next rank over a plain Netty connection while receiving from the previous one, W concurrent TCP streams in
 * all, with no collective logic: the sender writes the same wrapped direct buffer again and again (respecting
 * writability, from the event loop), the receiver counts and drops what it reads. Prints the total throughput and the total divided
 * by W, the per-rank ceiling that a bandwidth-bound collective's busbw is compared with (decimal GB/s).
 * The job's communicator only coordinates (addresses, start, the final sum).
 */
@Command(name = "jccl-roofline", mixinStandardHelpOptions = true,
        description = "Throughput of W concurrent plain-Netty TCP streams among W local processes (ring pattern).")
public final class LoopbackRoofline implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "3", description = "how long each stream runs")
    double seconds;

    @Option(names = "--chunk-bytes", defaultValue = "524288", description = "bytes per write")
    int chunkBytes;

    /** Writes until the channel is not writable (on its event loop); resumes when it is writable again. */
    private static void fill(Channel ch, ByteBuffer chunk, java.util.concurrent.atomic.AtomicBoolean running) {
        boolean wrote = false;
        while (running.get() && ch.isWritable()) {
            ch.write(Unpooled.wrappedBuffer(chunk.duplicate()));
            wrote = true;
        }
        if (wrote) {
            ch.flush();
        }
    }

    /**
     * A channel's pipeline: the congestion control of JCCL's own connections where it sets any, then a new handler
     * of {@code last} (one per channel).
     */
    private static ChannelInitializer<SocketChannel> pipeline(TcpCongestion congestion,
                                                              Supplier<ChannelHandler> last) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (congestion.setsAny()) {
                    ch.pipeline().addLast(congestion);
                }
                ch.pipeline().addLast(last.get());
            }
        };
    }

    public static void main(String[] args) {
        System.exit(io.jccl.bench.Cli.run(new LoopbackRoofline(), args));
    }

    @Override
    public Integer call() throws Exception {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        AtomicLong received = new AtomicLong();
        // the streams run with the congestion control JCCL's own connections get (JCCL_TCP_CONGESTION)
        TcpCongestion congestion = TcpCongestion.fromKnob();
        try (Communicator comm = NetCommunicators.fromEnvironment();
             HostBuffer port = HostBuffer.allocate(comm.size(), DataType.INT32);
             HostBuffer result = HostBuffer.allocate(1, DataType.FLOAT64)) {
            int w = comm.size();
            int r = comm.rank();
            Channel server = new ServerBootstrap().group(group)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(pipeline(congestion, () -> new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            received.addAndGet(((ByteBuf) msg).readableBytes());
                            ReferenceCountUtil.release(msg);
                        }
                    })).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            port.putInt(r, ((InetSocketAddress) server.localAddress()).getPort());
            comm.allGather(port, port, 1, DataType.INT32);
            double gbps = 0;
            if (w > 1) {
                ByteBuffer chunk = ByteBuffer.allocateDirect(chunkBytes);
                java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean();
                Channel out = new Bootstrap().group(group)
                        .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                                new io.netty.channel.WriteBufferWaterMark(4 * chunkBytes, 8 * chunkBytes))
                        .handler(pipeline(congestion, () -> new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                                fill(ctx.channel(), chunk, running);
                                ctx.fireChannelWritabilityChanged();
                            }
                        }))
                        .connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port.getInt((r + 1) % w)))
                        .sync().channel();
                comm.barrier();
                long startCount = received.get();
                long t0 = System.nanoTime();
                running.set(true);
                out.eventLoop().execute(() -> fill(out, chunk, running));
                Thread.sleep((long) (seconds * 1000));
                long bytes = received.get() - startCount;
                gbps = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
                running.set(false);
                comm.barrier();
                out.close().sync();
            }
            result.putDouble(0, gbps);
            comm.allReduce(result, 1, DataType.FLOAT64, ReduceOp.SUM);
            server.close().sync();
            if (r == 0) {
                System.out.printf(Locale.ROOT, "# loopback roofline: %d concurrent TCP streams (rank r -> r+1), %d-byte writes, %.1f s, congestion control %s%n",
                        w, chunkBytes, seconds, congestion.describe());
                System.out.printf(Locale.ROOT, "total %.3f GB/s   per rank (total / W) %.3f GB/s%n", result.getDouble(0),
                        result.getDouble(0) / w);
            }
        } finally {
            group.shutdownGracefully().sync();
        }
        return 0;
    }
}
