/**
 * The shared-memory data path between ranks of one host: the link ({@link io.jccl.net.shm.ShmLink}), its two rings
 * ({@link io.jccl.net.shm.ShmPipe}, {@link io.jccl.net.shm.ShmRing}), the per-transport writer and the files under
 * /dev/shm ({@link io.jccl.net.shm.Shm}), and the cleanup of dead jobs' files ({@link io.jccl.net.shm.ShmJobs}).
 *
 * <p>Internal to comm-net: its types are public so that the transport's packages can use each other, not for
 * applications; they may change in any release.
 */
package io.jccl.net.shm;
