package io.jccl.core;

import io.jccl.CommConfig;
import io.jccl.CommTimeoutException;
import io.jccl.InvalidUsageException;
import io.jccl.JcclException;
import io.jccl.algo.OpContext;
import io.jccl.trace.CommTrace;
import io.jccl.transport.OpHeader;
import io.jccl.transport.Progress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Gives each collective {@link Call} its sequence number and runs it: inline on the caller's thread for a
 * blocking call with nothing in flight, else in order on one worker thread. A failed call aborts the
 * communicator's streams, waits for its transport to let go of the buffers and breaks the communicator.
 *
 * <p>The calls waiting for the worker are a ring of arrays, not an executor's queue: an async call allocates its
 * header and its future, no task, lambda or queue node (a training step issues one call per bucket).
 *
 * <p>Threading: the issue state (sequence number, issuing thread, calls in flight, the worker's queue) is guarded
 * by one lock; one thread at a time may issue; the operation state (links, scratch, staging, context) is used by
 * the one thread that runs the calls.
 */
final class CallIssuer {
    private static final Logger LOG = LoggerFactory.getLogger(CallIssuer.class);

    /**
     * How long a failed call may take from its failure to its return: the status query after a timeout
     * ({@link FailureReport}) and the wait for the transport to let go of its buffers share it, so that every rank
     * fails within its deadline plus this.
     */
    static final long QUIESCE_MILLIS = 2_000;

    private final CommGroup group;
    private final CommConfig config;
    private final Breakage breakage;
    private final FailureReport report;
    private final CollectiveLinks links;
    private final CommTrace trace;
    private final StagingPool staging;
    /** The context of every collective operation, begun anew for each ({@link OpContext#begin}). */
    private final OpContext context;

    private final Object issueLock = new Object();
    private long seq;
    private int inFlight;
    private Thread issuer;
    private boolean closed;
    /** The worker thread, started by the first call queued; null before. */
    private Thread worker;
    /** The calls queued for the worker: {@code queued} entries from {@code queueHead}, ring of the arrays' length. */
    private OpHeader[] queuedHeaders = new OpHeader[8];
    private Call[] queuedCalls = new Call[8];
    private OpFuture[] queuedFutures = new OpFuture[8];
    private int queueHead;
    private int queued;
    /** The worker waits on {@code issueLock} for a call (so that a call queued must notify it). */
    private boolean workerWaiting;

    // written by the thread that runs the calls once or twice per call, read by any thread (progress reports,
    // lastAlgorithm()): release stores, not volatile ones (a full fence each on x86), since no reader needs more
    // than to see a value that was written
    private static final VarHandle CURRENT;
    private static final VarHandle ENTERED_SEQ;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CURRENT = l.findVarHandle(CallIssuer.class, "current", OpHeader.class);
            ENTERED_SEQ = l.findVarHandle(CallIssuer.class, "enteredSeq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long timeoutNanos;
    private volatile String lastAlgorithm = "";
    /** The operation this rank is running (for progress reports), or null. */
    private volatile OpHeader current;
    /** Sequence number of the last operation this rank entered. */
    private volatile long enteredSeq;

    /** @param trace the communicator's flight recorder and timeline, or null when it records nothing */
    CallIssuer(CommGroup group, CommConfig config, Breakage breakage, CommTrace trace) {
        this.group = group;
        this.config = config;
        this.breakage = breakage;
        this.trace = trace;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        this.report = new FailureReport(group, config);
        this.staging = new StagingPool(config.deviceReduce());
        this.links = new CollectiveLinks(group, trace);
        this.context = new OpContext(null, group.rank(), group.size(), 0, links, links, config.segmentBytes())
                .withLayout(group.layout());
    }

    /** The links and scratch of the collective stream (point-to-point contexts share the scratch). */
    CollectiveLinks links() {
        return links;
    }

    String lastAlgorithm() {
        return lastAlgorithm;
    }

    /**
     * What this rank tells a peer that asks how far it got (after the peer timed out); the question also dumps
     * this rank's flight recorder, so that every rank of a stuck job leaves its record.
     */
    Progress progress() {
        if (trace != null) {
            trace.dumpAsync("a peer timed out and asked for this rank's progress", false);
        }
        OpHeader h = current;
        int worldRank = group.worldRank(group.rank());
        if (h != null) {
            return new Progress(worldRank, h.seq(), "in " + h.describe());
        }
        long entered = enteredSeq;
        return new Progress(worldRank, entered, entered == 0 ? "has not entered any operation"
                : "idle after operation #" + entered);
    }

    /**
     * Issues {@code call}: blocking, returns null when it has completed; else returns its future.
     *
     * @throws InvalidUsageException when the communicator is closed or another thread is issuing
     * @throws JcclException         (blocking) when the call fails; the communicator is then broken
     */
    CompletableFuture<Void> issue(boolean blocking, Call call) {
        String what = group.what(call.collective());
        Bindings.checkElementType(what, call.send(), call.type());
        Bindings.checkElementType(what, call.recv(), call.type());
        OpHeader header;
        OpFuture f;
        synchronized (issueLock) {
            if (closed) {
                throw new InvalidUsageException(what + ": communicator is closed");
            }
            breakage.check(what);
            Thread me = Thread.currentThread();
            if (inFlight > 0 && issuer != me) {
                throw new InvalidUsageException(what + ": communicator is in use by thread '" + issuer.getName()
                        + "' (" + inFlight + " operations in flight); one thread at a time may issue calls on a "
                        + "communicator");
            }
            issuer = me;
            inFlight++;
            seq++;
            header = new OpHeader(group.id(), seq, call.collective(), call.type(), call.op(), call.root(),
                    call.count());
            if (trace != null) {
                trace.queued(header, call.plan().label(), call.reason(), call.staged());
            }
            // while the call is queued or running, closing its buffers (from any thread) must not unmap them
            call.pin();
            if (blocking && inFlight == 1) {
                f = null;
            } else {
                f = OpFuture.create(config.callbackExecutor());
                enqueue(header, call, f);
            }
        }
        if (f == null) {
            try {
                execute(header, call);
            } finally {
                call.unpin();
                finished();
            }
            return null;
        }
        if (!blocking) {
            return f;
        }
        try {
            await(f, header);
        } catch (CommTimeoutException e) {
            // the worker still runs this call on the buffers: their memory goes to the collector when closed
            leaveFreeToCollector(call);
            throw e;
        }
        return null;
    }

    /** Queues a call for the worker, starting it the first time (issue lock held). */
    private void enqueue(OpHeader header, Call call, OpFuture f) {
        if (queued == queuedCalls.length) {
            growQueue();
        }
        int i = (queueHead + queued) & (queuedCalls.length - 1);
        queuedHeaders[i] = header;
        queuedCalls[i] = call;
        queuedFutures[i] = f;
        queued++;
        if (worker == null) {
            worker = DaemonThreads.named("jccl-comm" + group.id() + "-rank" + group.rank()).newThread(this::work);
            worker.start();
        } else if (workerWaiting) {
            issueLock.notify();
        }
    }

    /** Doubles the queue's arrays (a power of two), oldest call first (issue lock held). */
    private void growQueue() {
        int n = queuedCalls.length;
        OpHeader[] h = new OpHeader[2 * n];
        Call[] c = new Call[2 * n];
        OpFuture[] f = new OpFuture[2 * n];
        for (int k = 0; k < queued; k++) {
            int i = (queueHead + k) & (n - 1);
            h[k] = queuedHeaders[i];
            c[k] = queuedCalls[i];
            f[k] = queuedFutures[i];
        }
        queuedHeaders = h;
        queuedCalls = c;
        queuedFutures = f;
        queueHead = 0;
    }

    /** The worker thread: runs the queued calls in order until the communicator is closed. */
    private void work() {
        while (true) {
            OpHeader header;
            Call call;
            OpFuture f;
            synchronized (issueLock) {
                while (queued == 0) {
                    if (closed) {
                        return;
                    }
                    workerWaiting = true;
                    try {
                        issueLock.wait();
                    } catch (InterruptedException e) {
                        // close() interrupts: the loop sees it closed
                    } finally {
                        workerWaiting = false;
                    }
                }
                int i = queueHead;
                header = queuedHeaders[i];
                call = queuedCalls[i];
                f = queuedFutures[i];
                queuedHeaders[i] = null;
                queuedCalls[i] = null;
                queuedFutures[i] = null;
                queueHead = (i + 1) & (queuedCalls.length - 1);
                queued--;
            }
            runQueued(header, call, f);
        }
    }

    private void runQueued(OpHeader header, Call call, OpFuture f) {
        Throwable failure = null;
        try {
            execute(header, call);
        } catch (Throwable t) {
            failure = t;
        } finally {
            call.unpin();
        }
        // no longer in flight before the future completes: a callback may issue the next call
        finished();
        if (failure == null) {
            f.succeed();
        } else {
            f.fail(failure);
        }
    }

    private void finished() {
        synchronized (issueLock) {
            inFlight--;
        }
    }

    private void leaveFreeToCollector(Call call) {
        call.leaveFreeToCollector();
        staging.leaveFreeToCollector();
    }

    /** Waits for a queued blocking call: the calls ahead of it each get their own timeout. */
    private void await(OpFuture f, OpHeader header) {
        int ahead;
        synchronized (issueLock) {
            ahead = Math.max(1, inFlight);
        }
        long waitMillis = config.timeoutMillis() * ahead + 10_000;
        try {
            f.await(TimeUnit.MILLISECONDS.toNanos(waitMillis));
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            throw FutureWait.failure(e, "rank=" + group.rank() + " " + header.describe(), waitMillis + " ms");
        }
    }

    private void execute(OpHeader header, Call call) {
        breakage.check(group.rank(), header.collective());
        ENTERED_SEQ.setRelease(this, header.seq());
        CURRENT.setRelease(this, header);
        try {
            executeEntered(header, call);
        } finally {
            CURRENT.setRelease(this, (OpHeader) null);
        }
    }

    private void executeEntered(OpHeader header, Call call) {
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        OpContext ctx = context.begin(header, deadline);
        if (trace != null) {
            trace.running(header.seq(), start);
        }
        String algo = call.plan().label();
        try {
            if (call.stageIn(staging, config.segmentBytes(), deadline)) {
                ctx.useStaging(staging);
            }
            call.run(ctx);
            call.stageOut();
            links.trimScratch();
            if (lastAlgorithm != algo) { // a volatile read is a plain load; the store, a fence
                lastAlgorithm = algo;
            }
            if (trace != null) {
                trace.ended(header, algo, start, call.bytes(), null);
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("rank={} {} algorithm={}", group.rank(), header.describe(), algo);
            }
        } catch (InvalidUsageException e) {
            staging.abandonPipelines();
            if (trace != null) {
                trace.ended(header, algo, start, call.bytes(), e);
            }
            throw e;
        } catch (RuntimeException e) {
            long failedNanos = System.nanoTime();
            staging.abandonPipelines();
            RuntimeException reported = report.explain(header, e);
            breakage.breakWith(reported);
            abortStreams(reported.getMessage());
            // a timeout noticed late (a busy machine) leaves the report and the quiesce less time, not more
            quiesce(call, Math.min(failedNanos, deadline));
            if (trace != null) {
                trace.ended(header, algo, start, call.bytes(), reported);
                trace.dump(header.describe() + " failed");
            }
            throw reported;
        }
    }

    /** Fails every operation of this communicator, collective and point-to-point, on every member. */
    void abortStreams(String message) {
        group.transport().abort(group.id(), message);
        group.transport().abort(group.p2pStream(), message);
    }

    /**
     * After a failed operation (its stream aborted): waits until no link reads or writes the call's buffers any
     * more, so that the caller may free them as soon as the call throws. A link that cannot let go in time (a
     * write queued to a peer that stopped reading) leaves the buffers' memory to the garbage collector instead. It
     * waits what is left of {@link #QUIESCE_MILLIS} since the failure ({@code failedNanos}: the deadline, for a
     * timeout).
     */
    private void quiesce(Call call, long failedNanos) {
        long leftMillis = QUIESCE_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failedNanos);
        if (!links.quiesce(Math.max(0, leftMillis))) {
            LOG.warn("rank={}: a failed call's buffers are still held by the transport {} ms after its failure; their "
                    + "memory is left to the garbage collector", group.rank(), QUIESCE_MILLIS);
            leaveFreeToCollector(call);
        }
    }

    /**
     * Refuses further calls and stops the worker: the call it runs is interrupted, the calls still queued fail as
     * closed.
     *
     * @return false when it was closed already
     */
    boolean close() {
        int n;
        Call[] calls;
        OpFuture[] futures;
        OpHeader[] headers;
        synchronized (issueLock) {
            if (closed) {
                return false;
            }
            closed = true;
            n = queued;
            calls = new Call[n];
            futures = new OpFuture[n];
            headers = new OpHeader[n];
            for (int k = 0; k < n; k++) {
                int i = (queueHead + k) & (queuedCalls.length - 1);
                calls[k] = queuedCalls[i];
                futures[k] = queuedFutures[i];
                headers[k] = queuedHeaders[i];
                queuedCalls[i] = null;
                queuedFutures[i] = null;
                queuedHeaders[i] = null;
            }
            queued = 0;
            inFlight -= n;
            if (worker != null) {
                worker.interrupt();
            }
        }
        for (int k = 0; k < n; k++) {
            calls[k].unpin();
            futures[k].fail(new InvalidUsageException("rank=" + group.rank() + " " + headers[k].describe()
                    + ": communicator is closed"));
        }
        return true;
    }

    /** Frees the staging memory (after the transport is closed). */
    void release() {
        staging.close();
    }
}
