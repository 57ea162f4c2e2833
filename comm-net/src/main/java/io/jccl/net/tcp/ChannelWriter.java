package io.jccl.net.tcp;

import io.jccl.PeerFailureException;
import io.jccl.net.wire.FrameDescriptor;
import io.jccl.transport.OpHeader;
import io.jccl.transport.SendTracker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.internal.PlatformDependent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;

/**
 * Every frame a rank sends on one connection goes through here, so that frames stay whole and in order while
 * two paths coexist:
 * <ul>
 *   <li>the direct path: the sending thread writes the frame to the socket itself (a non-blocking write on the
 *       epoll file descriptor), which spares the hand-off to the event loop and its wake-up, the largest part of
 *       a small message's latency. The frame header, and a small payload with it, is built in a scratch buffer
 *       this connection owns, so a frame the socket takes whole allocates nothing. The path is taken when
 *       nothing of this connection is queued on the event loop;</li>
 *   <li>the event-loop path, for whatever the direct write could not finish (the socket buffer is full) and
 *       while anything is queued there: the frame, or its rest, goes as a {@link QueuedFrame} that this writer
 *       reuses, written by one task of this writer that hands every waiting frame to Netty. A large payload is
 *       still read from the caller's memory, so that this path too allocates nothing per frame.</li>
 * </ul>
 * TLS connections (bytes must go through the {@code SslHandler}), the NIO transport and
 * {@code -Djccl.net.nodirect=true} use Netty's ordinary write of a buffer, with a promise, instead of both.
 * This writer's monitor orders the paths (a monitor rather than a {@code ReentrantLock}, whose every contended
 * acquisition allocates a queue node: the event loop's drain meets a sending rank several times per 64 MiB
 * all-reduce); {@code queued} counts frames handed to the event loop and not yet written.
 *
 * <p>Thread-safe.
 */
final class ChannelWriter {
    private static final AttributeKey<ChannelWriter> KEY = AttributeKey.valueOf("jccl.writer");
    /**
     * Written frames kept for reuse with a head grown past a header (a copied payload of up to {@code copyMaxBytes}),
     * at most; beyond that a frame keeps only a header's room. Frames themselves are all kept: a ring sends a whole
     * chunk ahead, some 64 frames per connection at 64 MiB, and making each anew cost 36-39 KB per 64 MiB all-reduce.
     */
    private static final int MAX_LARGE_HEADS = 16;

    private final Channel channel;
    private final int copyMaxBytes;
    private final FileDescriptor fd;
    /** Header and small payload of the frame being written directly (guarded by this writer's monitor). */
    private final ByteBuf scratch;
    private int queued;
    /** Frames waiting for {@link #drain} on the event loop, in order (guarded by this writer's monitor). */
    private final ArrayDeque<QueuedFrame> toLoop = new ArrayDeque<>();
    /** Written frames ready for reuse (guarded by this writer's monitor). */
    private final ArrayDeque<QueuedFrame> free = new ArrayDeque<>();
    /** Frames in {@code free} whose head has more room than a header (guarded by this writer's monitor). */
    private int largeHeads;
    private boolean drainScheduled;
    private final Runnable drain = this::drain;
    /** A failed write releases its frame, which fails its ticket: nothing to report through the pipeline. */
    private final ChannelPromise quiet;
    /**
     * Frames sent whole by the direct path, and frames (or their rests) handed to the event loop; read by
     * {@link TcpProbe} (guarded by this writer's monitor).
     */
    long directFrames;
    long queuedFrames;
    /** {@link QueuedFrame}s made (the rest are reused); read by {@link TcpProbe} (guarded by this writer's monitor). */
    long framesMade;

    private ChannelWriter(Channel channel, int copyMaxBytes) {
        this.channel = channel;
        this.copyMaxBytes = copyMaxBytes;
        boolean direct = channel instanceof EpollSocketChannel && channel.pipeline().get(SslHandler.class) == null
                && PlatformDependent.hasUnsafe() && !Boolean.getBoolean("jccl.net.nodirect");
        this.fd = direct ? ((EpollSocketChannel) channel).fd() : null;
        // memory the garbage collector frees with this writer: not pooled, so nothing to release on close
        this.scratch = direct
                ? Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(FrameDescriptor.HEADER_BYTES + copyMaxBytes))
                : null;
        this.quiet = new VoidChannelPromise(channel, false);
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
        synchronized (this) {
            if (fd == null) {
                writeThroughPipeline(h, stream, tag, src, offset, length, copy, tracker, ticket, what);
                return;
            }
            if (queued == 0 && channel.isActive() && (copy || src.isDirect())) {
                writeDirect(h, stream, tag, src, offset, length, copy, tracker, ticket, what);
                return;
            }
            // frames are queued ahead of this one (or its payload is on the heap): all of it through the event loop
            QueuedFrame f = frame(FrameDescriptor.HEADER_BYTES + (copy ? length : 0), tracker, ticket, what);
            writeHeader(f.head(), h, stream, tag, length);
            if (copy) {
                copyInto(f.head(), src, offset, length);
            } else if (src.isDirect()) {
                f.payload(src, offset, length);
            } else {
                // heap memory has no fixed address: copy it into pooled direct memory, as Netty itself would
                ByteBuf owned;
                try {
                    owned = channel.alloc().directBuffer(length, length);
                } catch (RuntimeException | OutOfMemoryError e) {
                    // the ticket must not stay open: later waits on this stream would sit out their deadline
                    tracker.abandon(ticket, new PeerFailureException(what + ": no direct memory to send " + length + " bytes: "
                            + e, e));
                    recycle(f);
                    throw e;
                }
                copyInto(owned, src, offset, length);
                f.payload(owned);
            }
            enqueue(f);
        }
    }

    /** The direct path (monitor held, nothing queued): what the socket does not take goes through the event loop. */
    private void writeDirect(OpHeader h, long stream, long tag, ByteBuffer src, int offset, int length, boolean copy,
                             SendTracker tracker, long ticket, String what) {
        scratch.clear();
        writeHeader(scratch, h, stream, tag, length);
        if (copy) {
            copyInto(scratch, src, offset, length);
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
            // the socket is full
            QueuedFrame f = frame(scratch.readableBytes(), tracker, ticket, what);
            f.head().writeBytes(scratch);
            if (!copy) {
                f.payload(src, offset + done, length - done);
            }
            enqueue(f);
        } catch (IOException e) {
            tracker.abandon(ticket, new PeerFailureException(what + ": write failed: " + e, e));
        }
    }

    /** TLS, NIO or {@code -Djccl.net.nodirect=true}: Netty's ordinary write of a buffer (monitor held). */
    private void writeThroughPipeline(OpHeader h, long stream, long tag, ByteBuffer src, int offset, int length,
                                      boolean copy, SendTracker tracker, long ticket, String what) {
        ByteBuf frame;
        if (copy) {
            // header and payload in one pooled buffer (a copy is cheaper than three wrapper objects)
            frame = channel.alloc().directBuffer(FrameDescriptor.HEADER_BYTES + length);
            writeHeader(frame, h, stream, tag, length);
            copyInto(frame, src, offset, length);
        } else {
            // the caller's memory goes out as it is, behind its header (two writes: one composite buffer would
            // allocate its NIO views on every write attempt)
            ByteBuf header = channel.alloc().directBuffer(FrameDescriptor.HEADER_BYTES);
            writeHeader(header, h, stream, tag, length);
            channel.write(header, channel.voidPromise());
            frame = Unpooled.wrappedBuffer(src.slice(offset, length));
        }
        queueThroughPipeline(frame, tracker, ticket, what);
    }

    /** Sends a control frame held whole in {@code frame} (released here), in order with the data frames. */
    void writeControl(ByteBuf frame) {
        synchronized (this) {
            if (fd == null) {
                queueThroughPipeline(frame, null, 0, "control");
                return;
            }
            QueuedFrame f = frame(frame.hasMemoryAddress() ? 0 : frame.readableBytes(), null, 0, "control");
            if (frame.hasMemoryAddress()) {
                f.payload(frame);
            } else {
                f.head().writeBytes(frame);
                frame.release();
            }
            enqueue(f);
        }
    }

    /** Hands {@code frame} to the event loop through the pipeline, with a promise (monitor held). */
    private void queueThroughPipeline(ByteBuf frame, SendTracker tracker, long ticket, String what) {
        queued++;
        queuedFrames++;
        ChannelPromise promise = channel.newPromise();
        // the listener is on the promise before the write starts: the completion is recorded on the event loop
        // as the bytes leave, before any later channelInactive can fail the tracker
        promise.addListener((ChannelFuture cf) -> {
            synchronized (this) {
                queued--;
            }
            if (tracker == null) {
                return;
            }
            if (cf.isSuccess()) {
                tracker.complete(ticket);
            } else {
                tracker.abandon(ticket, new PeerFailureException(what + ": write failed: " + cf.cause(), cf.cause()));
            }
        });
        channel.writeAndFlush(frame, promise);
    }

    /** A frame to fill for the event loop, reused when one is free (monitor held). */
    private QueuedFrame frame(int headBytes, SendTracker tracker, long ticket, String what) {
        QueuedFrame f = free.poll();
        if (f == null) {
            f = new QueuedFrame(this, fd);
            framesMade++;
        } else if (f.headCapacity() > FrameDescriptor.HEADER_BYTES) {
            largeHeads--;
        }
        return f.reset(headBytes, tracker, ticket, what);
    }

    /**
     * Queues {@code f} for the event loop (monitor held). Frames wait in {@code toLoop} for one task of this writer
     * that writes them all, rather than one Netty write task and promise each.
     */
    private void enqueue(QueuedFrame f) {
        queued++;
        queuedFrames++;
        toLoop.add(f);
        if (!drainScheduled) {
            drainScheduled = true;
            try {
                channel.eventLoop().execute(drain);
            } catch (RejectedExecutionException e) {
                drainScheduled = false;
                failQueued(); // the event loop has shut down: the connection is gone
            }
        }
    }

    /** Event loop: writes every queued frame, in order, and flushes. */
    private void drain() {
        synchronized (this) {
            drainScheduled = false;
            QueuedFrame f;
            while ((f = toLoop.poll()) != null) {
                channel.write(f, quiet); // a failed write releases f, which fails its ticket
            }
        }
        channel.flush();
    }

    /** Releases every frame still waiting for the event loop, failing their tickets (monitor held). */
    private void failQueued() {
        QueuedFrame f;
        while ((f = toLoop.poll()) != null) {
            f.release();
        }
    }

    /** A queued frame is written, or failed: it is free for the next (any thread; called by its release). */
    void written(QueuedFrame f) {
        synchronized (this) {
            queued--;
            recycle(f);
        }
    }

    /** Puts {@code f} on the free list (monitor held). */
    private void recycle(QueuedFrame f) {
        if (f.headCapacity() > FrameDescriptor.HEADER_BYTES) {
            if (largeHeads < MAX_LARGE_HEADS) {
                largeHeads++;
            } else {
                f.shrinkHead(); // a burst of small frames: its copies' room goes back to the garbage collector
            }
        }
        free.add(f);
    }

    private static void writeHeader(ByteBuf dst, OpHeader h, long stream, long tag, int length) {
        FrameDescriptor.writeData(dst, length, stream, h.seq(), tag, h.collective(), h.type(), h.op(), h.root(),
                h.count());
    }

    /** Appends {@code length} bytes of {@code src} from absolute index {@code offset} to {@code dst}. */
    private static void copyInto(ByteBuf dst, ByteBuffer src, int offset, int length) {
        if (src.hasArray()) {
            dst.writeBytes(src.array(), src.arrayOffset() + offset, length);
        } else if (src.isDirect() && dst.hasMemoryAddress()) {
            dst.ensureWritable(length);
            PlatformDependent.copyMemory(PlatformDependent.directBufferAddress(src) + offset,
                    dst.memoryAddress() + dst.writerIndex(), length);
            dst.writerIndex(dst.writerIndex() + length);
        } else {
            dst.writeBytes(src.duplicate().limit(offset + length).position(offset));
        }
    }
}
