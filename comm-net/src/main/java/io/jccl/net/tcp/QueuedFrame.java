package io.jccl.net.tcp;

import io.jccl.PeerFailureException;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.SendTracker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.FileRegion;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.internal.PlatformDependent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * One frame, or the rest of one, that {@link ChannelWriter} hands to the event loop of an epoll connection: a
 * head of bytes it holds itself (a header, the rest of one, a small payload copied behind it, a control frame),
 * then optionally a payload read straight from the caller's direct memory by address.
 *
 * <p>Netty writes it as a {@link FileRegion}, which its epoll transport hands to {@link #transferTo} and releases
 * once written or failed. The release completes (or fails) the frame's send ticket and gives the object back to
 * its writer for the next frame: a frame that waits for the event loop allocates nothing, where a wrapped slice of
 * the caller's memory, its promise and the promise's listener cost about 170 bytes per frame.
 *
 * <p>Written to the socket only on the channel's event loop; filled by the sending thread under the writer's
 * monitor before it is queued.
 */
final class QueuedFrame extends AbstractReferenceCounted implements FileRegion {
    private final ChannelWriter owner;
    private final FileDescriptor fd;
    /** Bytes held here (direct, unpooled, grown when a frame needs more; freed by the garbage collector). */
    private ByteBuf head = directBuffer(FrameDescriptor.HEADER_BYTES);
    private long payloadAddress;
    private int payloadLength;
    /** Keeps the caller's buffer reachable (its memory must not be freed) until the payload is written. */
    private ByteBuffer payloadOwner;
    /** A payload this frame owns (a control frame, a copy of a heap payload), released with the frame. */
    private ByteBuf ownedPayload;
    private long transferred;
    private SendTracker tracker;
    private long ticket;
    private String what;

    QueuedFrame(ChannelWriter owner, FileDescriptor fd) {
        this.owner = owner;
        this.fd = fd;
    }

    /**
     * Readies this frame for a new use: an empty head of at least {@code headCapacity} bytes (filled by the
     * caller through {@link #head()}), no payload, {@code ticket} on {@code tracker} completed when the frame is
     * written (no ticket when {@code tracker} is null).
     */
    QueuedFrame reset(int headCapacity, SendTracker tracker, long ticket, String what) {
        setRefCnt(1);
        if (head.capacity() < headCapacity) {
            head = directBuffer(headCapacity);
        }
        head.clear();
        payloadAddress = 0;
        payloadLength = 0;
        payloadOwner = null;
        ownedPayload = null;
        transferred = 0;
        this.tracker = tracker;
        this.ticket = ticket;
        this.what = what;
        return this;
    }

    private static ByteBuf directBuffer(int capacity) {
        return Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(capacity)).clear();
    }

    /** Room in the head, in bytes. */
    int headCapacity() {
        return head.capacity();
    }

    /** Gives up a head grown past a header's room (frame not in use). */
    void shrinkHead() {
        head = directBuffer(FrameDescriptor.HEADER_BYTES);
    }

    /** The bytes written first; fill between {@link #reset} and queueing. */
    ByteBuf head() {
        return head;
    }

    /** Sends {@code length} bytes of the direct buffer {@code src} from absolute index {@code offset} after the head. */
    QueuedFrame payload(ByteBuffer src, int offset, int length) {
        payloadAddress = PlatformDependent.directBufferAddress(src) + offset;
        payloadLength = length;
        payloadOwner = src;
        return this;
    }

    /**
     * Sends the readable bytes of {@code payload} after the head and releases it with this frame; it must have a
     * memory address (a direct buffer).
     */
    QueuedFrame payload(ByteBuf payload) {
        payloadAddress = payload.memoryAddress() + payload.readerIndex();
        payloadLength = payload.readableBytes();
        ownedPayload = payload;
        return this;
    }

    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long before = transferred;
        int headLength = head.writerIndex();
        if (transferred < headLength) {
            int w = fd.writeAddress(head.memoryAddress(), (int) transferred, headLength);
            transferred += Math.max(0, w);
            if (transferred < headLength) {
                return transferred - before;
            }
        }
        if (transferred < count()) {
            int done = (int) (transferred - headLength);
            int w = fd.writeAddress(payloadAddress + done, 0, payloadLength - done);
            transferred += Math.max(0, w);
        }
        return transferred - before;
    }

    @Override
    protected void deallocate() {
        boolean whole = transferred == count();
        SendTracker t = tracker;
        long tk = ticket;
        String w = what;
        tracker = null;
        payloadOwner = null;
        if (ownedPayload != null) {
            ownedPayload.release();
            ownedPayload = null;
        }
        owner.written(this);
        if (t != null) {
            if (whole) {
                t.complete(tk);
            } else {
                t.abandon(tk, new PeerFailureException(w + ": the connection closed before a frame was written"));
            }
        }
    }

    @Override
    public long position() {
        return 0;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return head.writerIndex() + (long) payloadLength;
    }

    @Override
    public QueuedFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public QueuedFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public QueuedFrame touch() {
        return this;
    }

    @Override
    public QueuedFrame touch(Object hint) {
        return this;
    }
}
