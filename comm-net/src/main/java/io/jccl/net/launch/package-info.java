/**
 * Start-up helpers of {@code io.jccl.net.NetCommunicators}: the rendezvous rounds in the store
 * ({@link io.jccl.net.launch.Rendezvous}), host-and-port parsing ({@link io.jccl.net.launch.HostPort}) and the
 * polling-time knobs ({@link io.jccl.net.launch.SpinKnob}). {@code io.jccl.net.LaunchInfo}, which applications
 * build, stays in {@code io.jccl.net}.
 *
 * <p>{@link io.jccl.net.launch.HostPort} is public API; the rest is internal to comm-net.
 */
package io.jccl.net.launch;
