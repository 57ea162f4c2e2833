package io.jccl.net.tcp;

import io.jccl.net.wire.FrameDecoder;
import io.jccl.net.wire.FrameSink;
import io.jccl.net.wire.SharedRead;
import io.jccl.transport.Inbox;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.AttributeKey;
import io.netty.util.UncheckedBooleanSupplier;
import io.netty.util.internal.PlatformDependent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets a rank that has just started to wait for a TCP message read its connection itself for a few microseconds
 * (as an MPI rank polls its sockets), instead of sleeping until Netty's event loop has read the bytes and woken it:
 * a message that arrives within that time costs no wake-up at all. After it, the rank sleeps on its inbox and the
 * event loop reads, as before.
 *
 * <p>Both readers share the connection's {@link FrameDecoder} under one lock that covers a socket read and the
 * decoding of what it read, so bytes are decoded in the order they left the socket:
 * <ul>
 *   <li>the event loop takes the lock in its receive-buffer allocator, which Netty calls just before each socket
 *       read ({@link #locking}), and gives it back when the decoder has consumed the read ({@link #readDone}), or at
 *       once when the read got nothing;</li>
 *   <li>a rank ({@link #read}) takes it only when it is free, reads the socket without blocking until it is empty,
 *       decodes into the inboxes and gives it back. The rest of a large payload it reads straight into the
 *       payload's receive buffer ({@link FrameDecoder#payloadToFill}), one copy fewer than through a read
 *       buffer.</li>
 * </ul>
 * While ranks are reading a connection themselves, the event loop stops watching it for input
 * ({@link #pauseEventLoop}): otherwise every message wakes the event loop too, a second thread on the rank's core,
 * and on two shared cores that put a tenth of all 8-byte all-reduces at 85-110 us instead of 13-25.
 *
 * <p>The rank reads through a duplicate of the socket's descriptor ({@code dup(2)}), closed here under the lock when
 * the channel goes: Netty closing its own descriptor can never leave a rank reading a number the process has
 * meanwhile given to another file.
 *
 * <p>Only for epoll channels without TLS, and only once the handshake has succeeded ({@link #arm}).
 * Thread-safe.
 */
final class SocketReader implements SharedRead {
    private static final Logger LOG = LoggerFactory.getLogger(SocketReader.class);
    private static final AttributeKey<SocketReader> KEY = AttributeKey.valueOf("jccl.reader");
    /** The most a rank reads in one call before it looks at its inbox again. */
    private static final int TURN_BYTES = 1 << 20;
    /** Ranks that read a socket within this long count as reading it (see {@link #pauseEventLoop}). */
    static final long RANK_ACTIVE_NANOS = 1_000_000;
    /** The resume timer of a connection stops when ranks have not read it for this long ({@link #resumeCheck}). */
    private static final long TIMER_IDLE_NANOS = 100_000_000;
    /** One socket read by a rank, at most. */
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    /** A payload with at least this many bytes still to come is read straight into its receive buffer. */
    private static final int DIRECT_READ_MIN_BYTES = 16 * 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Channel channel;
    private final FileDescriptor fd;
    /**
     * Where a rank's reads land (guarded by {@code lock}); made at the first read, so that connections whose ranks
     * never read themselves ({@code JCCL_TCP_SPIN_US} 0, as with more ranks than cores) hold no 64 KiB each.
     */
    private ByteBuf readBuf;
    /** Decodes what ranks read (set by {@link #arm}; guarded by {@code lock}). */
    private FrameDecoder decoder;
    /** Where {@link #decoder} delivers what ranks read: the connection's router (set by {@link #arm}). */
    private FrameSink sink;
    /** No more reads by ranks: closed, at the end of the stream, or failed (guarded by {@code lock}). */
    private boolean done;
    /** Bytes read by ranks, and of those read straight into a payload (guarded by {@code lock}); for tests. */
    private long rankBytes;
    private long directBytes;
    /** When a rank last read this connection itself ({@link System#nanoTime}). */
    private volatile long lastRankRead;
    /**
     * The event loop has stopped watching this socket for input while ranks read it ({@link #pauseEventLoop}).
     * Written only on the event loop, like the channel's auto-read setting it mirrors, so the two never disagree.
     */
    private volatile boolean paused;
    /** Pauses so far (event loop only); for tests. */
    private volatile long pauses;
    private final Runnable resumeCheck = this::resumeCheck;
    /**
     * The periodic {@link #resumeCheck} of this connection, or null (event loop only): one timer per connection,
     * never more. It runs every {@link #RANK_ACTIVE_NANOS} while ranks read, across pauses, and stops itself when
     * they have stopped for {@link #TIMER_IDLE_NANOS}: one timer per run of operations, not one per pause.
     */
    private ScheduledFuture<?> resumeTimer;
    /** Resume timers started so far (event loop only); for tests. */
    private volatile long resumeTimers;
    private final Runnable resume = this::resume;
    /** Ranks between {@link #resumeEventLoop} and {@link #awake}: asleep, or about to sleep, on an inbox. */
    private final AtomicInteger sleepers = new AtomicInteger();

    private SocketReader(Channel channel, int dup) {
        this.channel = channel;
        this.lastRankRead = System.nanoTime() - 2 * RANK_ACTIVE_NANOS; // no rank has read yet
        this.fd = new FileDescriptor(dup);
    }

    /**
     * A reader for {@code channel}, or null where ranks cannot read it themselves (not epoll, no {@code dup(2)}).
     * The channel's allocator must then be wrapped with {@link #locking} before its first read.
     */
    static SocketReader create(Channel channel) {
        if (!(channel instanceof EpollSocketChannel ec) || !Posix.AVAILABLE) {
            return null;
        }
        int dup = Posix.dup(ec.fd().intValue());
        if (dup < 0) {
            LOG.debug("dup failed, the network thread reads {} alone", channel);
            return null;
        }
        SocketReader r = new SocketReader(channel, dup);
        channel.attr(KEY).set(r);
        return r;
    }

    /** The reader {@link #create} made for {@code channel}, or null. */
    static SocketReader of(Channel channel) {
        return channel.attr(KEY).get();
    }

    /**
     * Lets ranks read from now on, decoding with {@code decoder} (the channel's own) and delivering what it emits to
     * {@code sink}, which must route it as the pipeline would. Refused (false) when the channel's allocator is not
     * {@link #locking}: without the lock the two readers could interleave.
     */
    boolean arm(FrameDecoder decoder, FrameSink sink) {
        if (!(channel.config().getRecvByteBufAllocator() instanceof Locking l) || l.reader() != this) {
            LOG.debug("ranks do not read {}: its allocator is not the locking one", channel);
            return false;
        }
        lock.lock();
        try {
            if (!done) {
                this.sink = sink;
                this.decoder = decoder;
            }
            return !done;
        } finally {
            lock.unlock();
        }
    }

    /** {bytes ranks have read from this connection themselves, of those the bytes read straight into a payload}. */
    long[] rankBytes() {
        lock.lock();
        try {
            return new long[] {rankBytes, directBytes};
        } finally {
            lock.unlock();
        }
    }

    /**
     * A rank's read: when no other reader holds the connection, reads what the socket holds (about 1 MiB at most:
     * a read straight into a payload may take the payload's whole rest) and decodes it, delivering into the inboxes
     * (a delivery shows in {@link Inbox#events()}). Never blocks.
     *
     * @return false when ranks cannot read this connection (not armed, closed, at its end, failed): the rank waits
     *         on its inbox, which the event loop fills
     */
    boolean read() {
        if (!lock.tryLock()) {
            return true; // another reader has it: what it delivers shows in the inbox
        }
        try {
            if (done || decoder == null) {
                return false;
            }
            if (readBuf == null) {
                // memory the garbage collector frees with this reader: not pooled, so nothing to release on close
                readBuf = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(READ_BUFFER_BYTES));
            }
            int total = 0;
            while (total < TURN_BYTES) {
                // the rest of a large payload goes from the socket straight into its receive buffer; anything else
                // (headers, small frames, a payload's first bytes) through the read buffer and the decoder's copy
                ByteBuffer payload = decoder.payloadToFill();
                boolean direct = payload != null && payload.remaining() >= DIRECT_READ_MIN_BYTES;
                int n;
                if (direct) {
                    n = fd.readAddress(PlatformDependent.directBufferAddress(payload), payload.position(),
                            payload.limit());
                } else {
                    readBuf.clear();
                    n = fd.readAddress(readBuf.memoryAddress(), 0, readBuf.capacity());
                }
                if (n == 0) {
                    return true; // empty for now
                }
                if (n < 0) {
                    done = true; // the end of the stream: the event loop reads it too, and closes
                    return false;
                }
                total += n;
                rankBytes += n;
                lastRankRead = System.nanoTime();
                if (direct) {
                    directBytes += n;
                    decoder.payloadFilled(n, sink);
                } else {
                    readBuf.writerIndex(n);
                    decoder.decode(readBuf, sink);
                }
            }
            return true;
        } catch (IOException e) {
            done = true; // the event loop's own read reports the error and closes
            return false;
        } catch (RuntimeException e) {
            done = true; // a corrupt frame: the pipeline closes the connection, as if the event loop had read it
            channel.pipeline().fireExceptionCaught(e);
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Event loop, after a burst of reads: when a rank has read this socket within the last {@link #RANK_ACTIVE_NANOS},
     * stops the event loop watching it for input, so that each message a polling rank reads itself no longer also
     * wakes the event loop (a second thread on the rank's core, per message). Watching resumes when a rank stops
     * polling to sleep ({@link #resumeEventLoop}), else when ranks have not read for {@link #RANK_ACTIVE_NANOS}
     * ({@link #resumeCheck}, a timer every millisecond): a socket nobody reads is watched again within about 2 ms.
     */
    void pauseEventLoop() {
        if (paused || decoder == null || done || System.nanoTime() - lastRankRead > RANK_ACTIVE_NANOS) {
            return;
        }
        paused = true;
        // a rank that starts to sleep from here on sees paused and asks for a resume; one that started before is
        // seen here (volatile write then read on both sides)
        if (sleepers.get() > 0) {
            paused = false;
            return;
        }
        channel.config().setAutoRead(false);
        pauses++;
        if (resumeTimer == null || resumeTimer.isDone()) { // done: cancelled, or failed by a throw, never to run again
            resumeTimers++;
            resumeTimer = channel.eventLoop().scheduleAtFixedRate(
                    resumeCheck, RANK_ACTIVE_NANOS, RANK_ACTIVE_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Event loop, every {@link #RANK_ACTIVE_NANOS} from the first pause: when ranks have not read for that long,
     * resumes watching (if paused); when they have not read for {@link #TIMER_IDLE_NANOS}, stops the timer, and the
     * next pause starts it again. Between operations of a loop ranks pause again within milliseconds, and a timer
     * made per pause was a third of what the event loop allocated per 64 MiB all-reduce.
     */
    private void resumeCheck() {
        long idle = System.nanoTime() - lastRankRead;
        if (idle >= RANK_ACTIVE_NANOS || done) {
            resume();
        }
        if (idle >= TIMER_IDLE_NANOS || done) {
            resumeTimer.cancel(false);
            resumeTimer = null;
        }
    }

    /** Event loop: watches the socket for input again. */
    private void resume() {
        if (paused) {
            paused = false;
            channel.config().setAutoRead(true);
        }
    }

    /**
     * A rank stops polling and is about to sleep on its inbox: the event loop must read for it from now on, until
     * {@link #awake}. A pause that the event loop is starting at this moment sees the rank counted in
     * {@code sleepers} and is called off (both sides write, then read the other's variable).
     */
    void resumeEventLoop() {
        sleepers.incrementAndGet();
        if (paused) {
            try {
                channel.eventLoop().execute(resume);
            } catch (RejectedExecutionException e) {
                // the event loop has shut down: the connection is closing, and its failure reaches the inbox
            }
        }
    }

    /** The rank that called {@link #resumeEventLoop} has its message (or gave up): it no longer sleeps. */
    void awake() {
        sleepers.decrementAndGet();
    }

    /** Times the event loop stopped watching this socket ({@link #pauseEventLoop}); for tests. */
    long pauses() {
        return pauses;
    }

    /** Resume timers started so far ({@link #resumeCheck}); for tests. */
    long resumeTimers() {
        return resumeTimers;
    }

    /** Event loop: before a socket read (called by the allocator). */
    private void lockForRead() {
        lock.lock();
    }

    /** Event loop: the read is decoded (or got nothing); gives the lock back. */
    @Override
    public void readDone() {
        if (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
    }

    /**
     * Event loop, at the end of a burst of reads: gives back any hold that an exception left behind, then pauses the
     * event loop if ranks are reading ({@link #pauseEventLoop}).
     */
    @Override
    public void burstDone() {
        while (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
        pauseEventLoop();
    }

    /** Ends ranks' reads and closes the duplicate descriptor (the channel is closed or its decoder removed). */
    @Override
    public void close() {
        lock.lock();
        try {
            if (done && decoder == null) {
                return;
            }
            done = true;
            decoder = null;
            fd.close();
        } catch (IOException e) {
            LOG.debug("closing the duplicate descriptor of {}: {}", channel, e.toString());
        } finally {
            lock.unlock();
        }
    }

    /** {@code delegate} wrapped so that the event loop holds this reader's lock from each read to its decoding. */
    RecvByteBufAllocator locking(RecvByteBufAllocator delegate) {
        return new Locking(this, delegate);
    }

    @SuppressWarnings("deprecation") // Netty 4.2 deprecates RecvByteBufAllocator.Handle, still its read path's API
    private record Locking(SocketReader reader, RecvByteBufAllocator delegate) implements RecvByteBufAllocator {
        @Override
        public Handle newHandle() {
            return new LockingHandle(reader, (RecvByteBufAllocator.ExtendedHandle) delegate.newHandle());
        }
    }

    @SuppressWarnings("deprecation")
    private static final class LockingHandle extends RecvByteBufAllocator.DelegatingHandle
            implements RecvByteBufAllocator.ExtendedHandle {
        private final SocketReader reader;
        private final RecvByteBufAllocator.ExtendedHandle extended;

        LockingHandle(SocketReader reader, RecvByteBufAllocator.ExtendedHandle delegate) {
            super(delegate);
            this.reader = reader;
            this.extended = delegate;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            reader.lockForRead();
            return super.allocate(alloc);
        }

        @Override
        public void lastBytesRead(int bytes) {
            super.lastBytesRead(bytes);
            if (bytes <= 0) {
                reader.readDone(); // nothing for the decoder: the lock goes back now
            }
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return extended.continueReading(maybeMoreDataSupplier);
        }
    }
}
