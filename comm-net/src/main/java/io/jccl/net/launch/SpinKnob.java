package io.jccl.net.launch;

import io.jccl.InvalidUsageException;
import io.jccl.Knob;
import io.jccl.net.LaunchInfo;

/**
 * The polling-time knobs of a waiting rank, {@code JCCL_SHM_SPIN_US} and {@code JCCL_TCP_SPIN_US}: how a value
 * reads, and what {@code auto} becomes on a host.
 */
public final class SpinKnob {
    private SpinKnob() {
    }

    /** The longest polling time a spin knob takes (microseconds): one second of a busy core per wait. */
    public static final long MAX_US = 1_000_000;

    /** Shared memory's polling time when ranks fit cores: a peer on another core usually answers within it. */
    public static final long SHM_AUTO_NANOS = 20_000;

    /**
     * TCP's polling time (a rank reading its socket itself) when ranks fit cores: 200 us. With the event loop paused
     * while ranks read ({@code SocketReader.pauseEventLoop}), 8-byte all-reduce at 2 ranks took 22-27 us on average
     * with 200 us, 20-23 with 500 and 21-25 with 1000, against 46-47 with 20 us, where ranks sleep, and the event
     * loop reads, for a tenth of the calls.
     */
    public static final long TCP_AUTO_NANOS = 200_000;

    /**
     * {@code knob}'s value read: the time in nanoseconds, or -1 for auto ({@link #spinNanos}).
     *
     * @throws InvalidUsageException naming the knob when the value is neither auto nor microseconds from 0 to
     *                               {@link #MAX_US}
     */
    public static long setting(Knob knob) {
        return setting(knob, knob.get());
    }

    /** As {@link #setting(Knob)} for the value {@code value} of {@code knob}. */
    public static long setting(Knob knob, String value) {
        if (value.trim().equalsIgnoreCase("auto")) {
            return -1;
        }
        try {
            long us = Long.parseLong(value.trim());
            if (us >= 0 && us <= MAX_US) {
                return us * 1000;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new InvalidUsageException(knob.envName() + "='" + value + "': expected auto or microseconds from 0 to "
                + MAX_US);
    }

    /**
     * The polling time of a waiting rank: {@code setting} ({@link #setting}) when given, else (auto)
     * {@code autoNanos} when the host's ranks fit its cores, else 0 (polling keeps the core from the rank being
     * waited for: with 4 ranks on 2 cores, 8 B to 8 KiB all-reduce over the tree took 160-760 us without polling
     * against 340-780 us with 20 us of it, side by side).
     *
     * @param cores     the CPUs the host's ranks share ({@link LaunchInfo#hostCpus()})
     * @param autoNanos the transport's polling time when ranks fit cores: {@link #SHM_AUTO_NANOS} or
     *                  {@link #TCP_AUTO_NANOS}
     */
    public static long spinNanos(long setting, int localRanks, int cores, long autoNanos) {
        if (setting >= 0) {
            return setting;
        }
        return localRanks <= cores ? autoNanos : 0;
    }
}
