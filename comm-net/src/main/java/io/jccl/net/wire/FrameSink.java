package io.jccl.net.wire;

/**
 * Where a {@link FrameDecoder} delivers the frames it cuts from the byte stream: down the channel's pipeline when
 * the event loop read the bytes, or straight to the connection's router when a rank read them itself
 * ({@code io.jccl.net.tcp.SocketReader}).
 *
 * <p>Threading: called by whichever thread decodes, one at a time per connection (the connection's read lock
 * orders them); implementations must not block.
 */
public interface FrameSink {
    /** A whole DATA frame; the sink owns {@code segment} from here on (delivers or releases it). */
    void onData(CopiedSegment segment);

    /** A whole control frame; the sink owns {@code control}'s payload from here on (releases it). */
    void onControl(FrameDecoder.Control control);
}
