package io.jccl.net.tcp;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The Netty I/O flavour: native epoll where it loads (Linux x86_64 with the bundled library), NIO otherwise.
 * Immutable.
 */
record NetIo(String name, IoHandlerFactory factory, Class<? extends ServerSocketChannel> serverChannel,
             Class<? extends SocketChannel> socketChannel) {

    static NetIo detect() {
        if (!Boolean.getBoolean("jccl.net.nio") && Epoll.isAvailable()) {
            if (io.jccl.Knob.BUSY_POLL.getBoolean()) { // a value that is not a switch: one line naming it
                // the event loop polls without sleeping: no wake-up per message, one core per process
                io.netty.channel.SelectStrategyFactory busy = () -> (selectSupplier, hasTasks) ->
                        hasTasks ? selectSupplier.get() : io.netty.channel.SelectStrategy.BUSY_WAIT;
                return new NetIo("epoll-busy-poll", EpollIoHandler.newFactory(0, busy), EpollServerSocketChannel.class,
                        EpollSocketChannel.class);
            }
            return new NetIo("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return new NetIo("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    EventLoopGroup newGroup(int threads, String threadName) {
        return new MultiThreadIoEventLoopGroup(Math.max(1, threads), new DefaultThreadFactory(threadName, true), factory);
    }
}
