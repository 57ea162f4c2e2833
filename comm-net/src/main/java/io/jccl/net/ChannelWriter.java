package io.jccl.net;

import io.jccl.PeerFailureException;
import io.jccl.transport.OpHeader;
import io.jccl.transport.SendTracker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Every frame a rank sends on one connection goes through here, so that frames stay whole and in order while
 * two paths coexist:
 * <ul>
 *   <li>the direct path: the sending thread writes the frame to the socket itself (a non-blocking write on the
 *       epoll file descriptor), which spares the hand-off to the event loop and its wake-up, the largest part of
 *       a small message's latency. The frame header, and a small payload with it, is built in a scratch buffer
 *       this connection owns, so a frame the socket takes whole allocates nothing. The path is taken when
 *       nothing of this connection is queued on the event loop;</li>
 *   <li>the event-loop path: Netty's ordinary write, for whatever the direct write could not finish (the socket
 *       buffer is full), while anything is queued there, for TLS connections (bytes must go through the
 *       {@code SslHandler}), for the NIO transport and with {@code -Djccl.net.nodirect=true}.</li>
 * </ul>
 * A lock orders the two; {@code queued} counts frames handed to the event loop and not yet written.
 *
 * <p>Thread-safe.
 */
final class ChannelWriter {
    private static final AttributeKey<ChannelWriter> KEY = AttributeKey.valueOf("jccl.writer");

    private final Channel channel;
    private final int copyMaxBytes;
    private final FileDescriptor fd;
    /** Header and small payload of the frame being written directly (guarded by {@code lock}). */
    private final ByteBuf scratch;
    private final ReentrantLock lock = new ReentrantLock();
    private int queued;
    /** Frames sent whole by the direct path, and frames (or their rests) handed to the event loop; for tests. */
    private long directFrames;
    private long queuedFrames;

    private ChannelWriter(Channel channel, int copyMaxBytes) {
        this.channel = channel;
        this.copyMaxBytes = copyMaxBytes;
        boolean direct = channel instanceof EpollSocketChannel && channel.pipeline().get(SslHandler.class) == null
                && !Boolean.getBoolean("jccl.net.nodirect");
        this.fd = direct ? ((EpollSocketChannel) channel).fd() : null;
        // memory the garbage collector frees with this writer: not pooled, so nothing to release on close
        this.scratch = direct
                ? Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(FrameDescriptor.HEADER_BYTES + copyMaxBytes))
                : null;
    }

    /**
     * The writer of {@code channel} (one per connection); payloads up to {@code copyMaxBytes} are copied into
     * the frame, larger ones are sent from the caller's memory.
     */
    static ChannelWriter of(Channel channel, int copyMaxBytes) {
        ChannelWriter w = channel.attr(KEY).get();
        if (w == null) {
            ChannelWriter fresh = new ChannelWriter(channel, copyMaxBytes);
            w = channel.attr(KEY).setIfAbsent(fresh);
            if (w == null) {
                w = fresh;
            }
        }
        return w;
    }

    /**
     * Sends a data frame for operation {@code h}: the header, then {@code length} bytes of {@code src} from
     * absolute index {@code offset}; completes {@code ticket} on {@code tracker} when every byte has left the
     * caller's memory (at once for a small payload, which is copied).
     */
    void writeData(OpHeader h, long stream, long tag, ByteBuffer src, int offset, int length, SendTracker tracker,
                   long ticket, String what) {
        boolean copy = length <= copyMaxBytes;
        lock.lock();
        try {
            if (fd != null && queued == 0 && channel.isActive() && (copy || src.isDirect())) {
                scratch.clear();
                FrameDescriptor.writeData(scratch, length, stream, h.seq(), tag, h.collective(), h.type(), h.op(),
                        h.root(), h.count());
                if (copy) {
                    scratch.writeBytes(src.duplicate().limit(offset + length).position(offset));
                }
                try {
                    int w = fd.writeAddress(scratch.memoryAddress(), 0, scratch.writerIndex());
                    scratch.skipBytes(Math.max(0, w));
                    int done = 0;
                    if (!copy && !scratch.isReadable()) {
                        done = Math.max(0, fd.write(src, offset, offset + length));
                    }
                    if (!scratch.isReadable() && (copy || done == length)) {
                        directFrames++;
                        tracker.complete(ticket);
                        return;
                    }
                    // the socket is full: the rest of the frame follows through the event loop, header rest and
                    // payload rest as two writes (one composite buffer would allocate its NIO views on every
                    // write attempt)
                    ByteBuf rest = null;
                    if (scratch.isReadable()) {
                        rest = channel.alloc().directBuffer(scratch.readableBytes());
                        rest.writeBytes(scratch);
                    }
                    if (copy) {
                        queue(rest, tracker, ticket, what);
                    } else {
                        if (rest != null) {
                            channel.write(rest, channel.voidPromise());
                        }
                        queue(Unpooled.wrappedBuffer(src.slice(offset + done, length - done)), tracker, ticket, what);
                    }
                } catch (IOException e) {
                    tracker.fail(new PeerFailureException(what + ": write failed: " + e, e));
                }
                return;
            }
            ByteBuf frame;
            if (copy) {
                // header and payload in one pooled buffer (a copy is cheaper than three wrapper objects)
                frame = channel.alloc().directBuffer(FrameDescriptor.HEADER_BYTES + length);
                FrameDescriptor.writeData(frame, length, stream, h.seq(), tag, h.collective(), h.type(), h.op(),
                        h.root(), h.count());
                frame.writeBytes(src.duplicate().limit(offset + length).position(offset));
            } else {
                // the caller's memory goes out as it is, behind its header (two writes: see above)
                ByteBuf header = channel.alloc().directBuffer(FrameDescriptor.HEADER_BYTES);
                FrameDescriptor.writeData(header, length, stream, h.seq(), tag, h.collective(), h.type(), h.op(),
                        h.root(), h.count());
                channel.write(header, channel.voidPromise());
                frame = Unpooled.wrappedBuffer(src.slice(offset, length));
            }
            queue(frame, tracker, ticket, what);
        } finally {
            lock.unlock();
        }
    }

    /** Sends a control frame held whole in {@code frame} (released here), in order with the data frames. */
    void writeControl(ByteBuf frame) {
        lock.lock();
        try {
            queue(frame, null, 0, "control");
        } finally {
            lock.unlock();
        }
    }

    /** {frames sent whole by the direct path, frames handed to the event loop}. */
    long[] counts() {
        lock.lock();
        try {
            return new long[] {directFrames, queuedFrames};
        } finally {
            lock.unlock();
        }
    }

    /** Hands {@code frame} to the event loop (lock held). */
    private void queue(ByteBuf frame, SendTracker tracker, long ticket, String what) {
        queued++;
        queuedFrames++;
        ChannelPromise promise = channel.newPromise();
        // the listener is on the promise before the write starts: the completion is recorded on the event loop
        // as the bytes leave, before any later channelInactive can fail the tracker
        promise.addListener((ChannelFuture cf) -> {
            lock.lock();
            try {
                queued--;
            } finally {
                lock.unlock();
            }
            if (tracker == null) {
                return;
            }
            if (cf.isSuccess()) {
                tracker.complete(ticket);
            } else {
                tracker.fail(new PeerFailureException(what + ": write failed: " + cf.cause(), cf.cause()));
            }
        });
        channel.writeAndFlush(frame, promise);
    }
}
