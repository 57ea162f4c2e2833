package io.jccl.net.store;

import io.jccl.JcclException;
import io.jccl.net.auth.JobKey;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The rendezvous store's server ({@link StoreProtocol}), run by rank 0 at {@code MASTER_ADDR:MASTER_PORT}.
 * All state lives on one event-loop thread, so it needs no locks.
 *
 * <p>Threading: {@link #start} and {@link #close} from any thread.
 */
public final class TcpStoreServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpStoreServer.class);

    private final EventLoopGroup group;
    private final Channel channel;
    private final Map<String, byte[]> values = new HashMap<>();
    private final Map<String, List<Waiter>> waiters = new HashMap<>();

    private record Waiter(ChannelHandlerContext ctx, ScheduledFuture<?> timeout) {
    }

    private final JobKey key;

    /** The key whose value identifies this store instance (random, set at start). */
    public static final String STORE_ID_KEY = "jccl/store.id";

    private TcpStoreServer(InetSocketAddress bind, JobKey key) {
        this.key = key;
        // who this store is, so that a process that rebuilds its world knows whether its earlier rounds are here
        values.put(STORE_ID_KEY, Long.toHexString(new java.security.SecureRandom().nextLong())
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("jccl-store", true), NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(StoreProtocol.MAX_FRAME, 0, 4, 0, 4),
                                new Handler());
                    }
                });
        try {
            channel = b.bind(bind).syncUninterruptibly().channel();
        } catch (Exception e) { // bind() rethrows the checked BindException undeclared
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new StorePortInUseException(bind.getPort(), e);
            }
            throw new JcclException("cannot start the rendezvous store on " + bind + ": " + e, e);
        }
    }

    /**
     * Starts serving on {@code bind}; port 0 picks a free port ({@link #port()} tells which, with no window
     * in which another process could take it).
     *
     * @throws StorePortInUseException if the port is taken
     */
    public static TcpStoreServer start(InetSocketAddress bind) {
        return start(bind, JobKey.fromKnobs());
    }

    /** As {@link #start(InetSocketAddress)}, admitting only clients that prove {@code key}. */
    public static TcpStoreServer start(InetSocketAddress bind, JobKey key) {
        return new TcpStoreServer(bind, key);
    }

    /** The port actually bound. */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    private final class Handler extends SimpleChannelInboundHandler<ByteBuf> {
        private byte[] nonce;
        private boolean authenticated;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            nonce = JobKey.nonce();
            reply(ctx, StoreProtocol.CHALLENGE, 0, nonce);
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf in) {
            if (in.readableBytes() < 2 + 1 + 1 + 8 + 4 || in.readUnsignedShort() != StoreProtocol.MAGIC
                    || in.readUnsignedByte() != StoreProtocol.VERSION) {
                throw new CorruptedFrameException("bad store request header");
            }
            int op = in.readUnsignedByte();
            long arg = in.readLong();
            String key = readString(in);
            byte[] value = readBytes(in);
            if (!authenticated) {
                if (op != StoreProtocol.OP_AUTH || !TcpStoreServer.this.key.verify(value, "store", nonce)) {
                    LOG.warn("store: refused {}: authentication failed (wrong or missing JCCL_AUTH_KEY)",
                            ctx.channel().remoteAddress());
                    reply(ctx, StoreProtocol.ERROR, 0, "authentication failed".getBytes(StandardCharsets.UTF_8));
                    ctx.close();
                    return;
                }
                authenticated = true;
                reply(ctx, StoreProtocol.OK, 0, new byte[0]);
                return;
            }
            switch (op) {
                case StoreProtocol.OP_SET:
                    values.put(key, value);
                    List<Waiter> ws = waiters.remove(key);
                    if (ws != null) {
                        for (Waiter w : ws) {
                            w.timeout.cancel(false);
                            reply(w.ctx, StoreProtocol.OK, 0, value);
                        }
                    }
                    reply(ctx, StoreProtocol.OK, 0, new byte[0]);
                    break;
                case StoreProtocol.OP_GET: {
                    byte[] v = values.get(key);
                    if (v != null) {
                        reply(ctx, StoreProtocol.OK, 0, v);
                        break;
                    }
                    Waiter[] self = new Waiter[1];
                    ScheduledFuture<?> t = ctx.executor().schedule(() -> {
                        List<Waiter> list = waiters.get(key);
                        if (list != null) {
                            list.remove(self[0]);
                        }
                        reply(ctx, StoreProtocol.TIMEOUT, 0, new byte[0]);
                    }, Math.max(1, arg), TimeUnit.MILLISECONDS);
                    self[0] = new Waiter(ctx, t);
                    waiters.computeIfAbsent(key, k -> new ArrayList<>()).add(self[0]);
                    break;
                }
                case StoreProtocol.OP_ADD: {
                    byte[] old = values.get(key);
                    long n = (old == null ? 0 : Long.parseLong(new String(old, StandardCharsets.UTF_8))) + arg;
                    byte[] nv = Long.toString(n).getBytes(StandardCharsets.UTF_8);
                    values.put(key, nv);
                    reply(ctx, StoreProtocol.OK, n, nv);
                    break;
                }
                default:
                    throw new CorruptedFrameException("unknown store op " + op);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warn("store: closing connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private static String readString(ByteBuf in) {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(ByteBuf in) {
        if (in.readableBytes() < 4) {
            throw new CorruptedFrameException("truncated store request");
        }
        int n = in.readInt();
        if (n < 0 || n > in.readableBytes()) {
            throw new CorruptedFrameException("store field of " + n + " bytes exceeds the frame");
        }
        byte[] b = new byte[n];
        in.readBytes(b);
        return b;
    }

    private static void reply(ChannelHandlerContext ctx, int status, long number, byte[] value) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(StoreProtocol.frame(status, number, value)));
    }
}
