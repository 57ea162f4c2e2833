package io.jccl.core;

import io.jccl.Collective;
import io.jccl.DataType;
import io.jccl.ReduceOp;
import io.jccl.algo.OpContext;
import io.jccl.algo.select.Plan;
import io.jccl.algo.select.Selector;

import java.util.function.Consumer;

/**
 * One validated collective call waiting for its sequence number, with its body: one object per call (an
 * anonymous subclass holding what its body needs), not a call and a lambda. Made by {@link ReductionCalls} and
 * {@link GatherCalls}, issued and run by {@link CallIssuer}. Immutable: a call on host buffers may be issued
 * again when the same call comes again ({@link #sameAs}), even while it is still queued.
 *
 * <p>Threading: made on the issuing thread, run on the thread that runs the communicator's collectives.
 */
abstract class Call {
    // private, so that they are not members of the bodies, whose simple names keep meaning the caller's locals
    private final Collective collective;
    private final DataType type;
    private final ReduceOp op;
    private final int root;
    private final long count;
    private final Binding send;
    private final Binding recv;
    private final Plan plan;
    private final String reason;
    /** For the flight recorder: either buffer is staged; the call's size in bytes (negative when counts differ). */
    private final boolean staged;
    private final long bytes;

    /**
     * @param count the count in the operation's header (-1 where ranks' counts differ legitimately)
     * @param send  the input's binding, or null where this rank has none
     * @param recv  the output's binding (the same object in place), or null where this rank has none
     * @param plan  the algorithm the body runs; {@code reason}: why it was chosen ({@link Selector#why})
     */
    Call(Collective collective, DataType type, ReduceOp op, int root, long count, Binding send, Binding recv,
         Plan plan, String reason) {
        this.collective = collective;
        this.type = type;
        this.op = op;
        this.root = root;
        this.count = count;
        this.send = send;
        this.recv = recv;
        this.plan = plan;
        this.reason = reason;
        this.staged = (send != null && send.isStaged()) || (recv != null && recv.isStaged());
        this.bytes = count < 0 || type == null ? -1 : count * type.bytes();
    }

    /** True when this call is the one these arguments make (the bindings compared as objects). */
    final boolean sameAs(Collective c, DataType t, ReduceOp o, int r, long n, Binding s, Binding d, Plan p,
                         String why) {
        return collective == c && type == t && op == o && root == r && count == n && send == s && recv == d
                && plan == p && reason == why;
    }

    /** Runs the algorithm. */
    abstract void run(OpContext ctx);

    /** The algorithm the body runs. */
    final Plan plan() {
        return plan;
    }

    /** Why the selector chose it (a constant). */
    final String reason() {
        return reason;
    }

    /** Where the call's buffers live for the flight recorder: true ("staged") when either is staged, else "host". */
    final boolean staged() {
        return staged;
    }

    /** The header's count in bytes, for the flight recorder's timing; negative when ranks' counts differ. */
    final long bytes() {
        return bytes;
    }

    final Collective collective() {
        return collective;
    }

    final DataType type() {
        return type;
    }

    final ReduceOp op() {
        return op;
    }

    final int root() {
        return root;
    }

    final long count() {
        return count;
    }

    final Binding send() {
        return send;
    }

    final Binding recv() {
        return recv;
    }

    /** The output's binding when it is not the input's (in place, one binding is staged in and out once). */
    final Binding secondBinding() {
        return recv == send ? null : recv;
    }

    /** Keeps the buffers mapped while the call is queued or running, whoever closes them meanwhile. */
    final void pin() {
        eachBinding(Binding::pin);
    }

    final void unpin() {
        eachBinding(Binding::unpin);
    }

    /** The buffers may still be read or written by the transport: their memory is freed by the collector. */
    final void leaveFreeToCollector() {
        eachBinding(Binding::leaveFreeToCollector);
    }

    /**
     * Stages the buffers in (whole, or segment by segment in units of {@code unitBytes} for buffers that copy
     * asynchronously); returns true when any is staged segment by segment, so that the algorithm must use the
     * pool's hooks.
     */
    final boolean stageIn(StagingPool staging, long unitBytes, long deadlineNanos) {
        boolean pipelined = false;
        if (send != null) {
            pipelined = send.stageIn(staging, unitBytes, deadlineNanos);
        }
        Binding second = secondBinding();
        if (second != null) {
            pipelined |= second.stageIn(staging, unitBytes, deadlineNanos);
        }
        return pipelined;
    }

    final void stageOut() {
        eachBinding(Binding::stageOut);
    }

    /** Applies {@code step} to the input's binding, then to the output's when it is another one (each if present). */
    private void eachBinding(Consumer<Binding> step) {
        if (send != null) {
            step.accept(send);
        }
        Binding second = secondBinding();
        if (second != null) {
            step.accept(second);
        }
    }
}
