package io.jccl.net.wire;

/**
 * The other reader of a connection that a {@link FrameDecoder} shares with its event loop: a rank that reads the
 * socket itself while it waits ({@code io.jccl.net.tcp.SocketReader}). The decoder tells it when the event loop's
 * reads are decoded, so that the two never decode at the same time, and when the connection goes.
 *
 * <p>Threading: {@link #readDone} and {@link #burstDone} on the channel's event loop; {@link #close} from the event
 * loop when the decoder is removed or the channel goes inactive.
 */
public interface SharedRead {
    /** Event loop: one socket read is decoded (or got nothing); the read lock goes back. */
    void readDone();

    /** Event loop: the end of a burst of reads; gives back any hold an exception left, may pause the event loop. */
    void burstDone();

    /** Ends ranks' reads of the connection (its decoder is being removed or the channel closed). */
    void close();
}
