/**
 * The wire format of rank-to-rank connections: the frame header ({@link io.jccl.net.wire.FrameDescriptor}, with its
 * byte diagram, magic, version and limits), the decoder that cuts bytes into frames
 * ({@link io.jccl.net.wire.FrameDecoder}, delivering to a {@link io.jccl.net.wire.FrameSink}), the job-key handshake
 * ({@link io.jccl.net.wire.Handshake}), and the pooled segments received payloads are copied into
 * ({@link io.jccl.net.wire.CopiedSegment}, {@link io.jccl.net.wire.RecvBufferCache}).
 *
 * <p>Internal to comm-net: its types are public so that the transport's packages can use each other, not for
 * applications; they may change in any release. The entry points are {@code io.jccl.net.NetCommunicators} and
 * {@code io.jccl.net.NettyTransport}.
 */
package io.jccl.net.wire;
