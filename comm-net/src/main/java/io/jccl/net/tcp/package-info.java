/**
 * The TCP side of the transport: the listener and one connection per peer ({@link io.jccl.net.tcp.TcpConnections},
 * {@link io.jccl.net.tcp.PeerConnection}, one pipeline set-up {@link io.jccl.net.tcp.ChannelSetup}), routing of
 * received frames ({@link io.jccl.net.tcp.PeerHandler} on the event loop, {@link io.jccl.net.tcp.SocketReader} on a
 * waiting rank, both into a {@link io.jccl.net.tcp.FrameRouter}), writing ({@link io.jccl.net.tcp.ChannelWriter}),
 * control frames ({@link io.jccl.net.tcp.StreamAborts}, {@link io.jccl.net.tcp.StatusQueries}), the TCP link
 * ({@link io.jccl.net.tcp.TcpLink}) and what tests read of it ({@link io.jccl.net.tcp.TcpProbe}).
 *
 * <p>Internal to comm-net, except {@link io.jccl.net.tcp.TcpCongestion} (used by the benchmarks): its types are
 * public so that the transport's packages can use each other, not for applications.
 */
package io.jccl.net.tcp;
