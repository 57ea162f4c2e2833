package io.jccl.net.shm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Who still uses a shared-memory job's files on this host: every process with a rank of job J that uses shared
 * memory holds a shared lock on {@code /dev/shm/jccl-J.lock} while its transport is open. The kernel drops the
 * lock when the process dies, however it dies (SIGKILL included), so a lock file that can be locked exclusively
 * belongs to a job none of whose processes on this host is alive: its files ({@code jccl-J-*}) are left over and
 * are deleted, by the job's last rank when it closes, and by any later job when it starts ({@link #removeDead}).
 *
 * <p>The locks are POSIX record locks (per process, not per file descriptor), so one JVM holds one lock per job
 * however many of its ranks use it (ranks as threads in tests), counted here.
 *
 * <p>Thread-safe.
 */
final class ShmJobs {
    private static final Logger LOG = LoggerFactory.getLogger(ShmJobs.class);
    private static final String PREFIX = "jccl-";
    private static final String SUFFIX = ".lock";

    private static final class Held {
        final FileChannel channel;
        final FileLock lock;
        int users;

        Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }
    }

    /** Jobs this JVM holds, by job id (guarded by the class). */
    private static final Map<String, Held> HELD = new HashMap<>();

    private ShmJobs() {
    }

    static Path lockPath(Path dir, String job) {
        return dir.resolve(PREFIX + job + SUFFIX);
    }

    /**
     * Marks {@code job} in use by this process until {@link #release}; made before any file of the job, and
     * published already locked, so that no other process can take the job for dead in between.
     *
     * @throws IOException when the lock file cannot be made or locked
     */
    static synchronized void hold(Path dir, String job) throws IOException {
        Held h = HELD.get(job);
        if (h == null) {
            h = lock(dir, job);
            HELD.put(job, h);
        }
        h.users++;
    }

    private static Held lock(Path dir, String job) throws IOException {
        Path path = lockPath(dir, job);
        for (int attempt = 0; attempt < 100; attempt++) {
            if (!Files.exists(path)) {
                Path tmp = dir.resolve(PREFIX + job + "-lock.tmp-" + ProcessHandle.current().pid() + "-"
                        + Long.toHexString(System.nanoTime()));
                FileChannel ch = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try {
                    FileLock lock = ch.lock(0, Long.MAX_VALUE, true);
                    try {
                        Files.createLink(path, tmp);
                        return new Held(ch, lock);
                    } catch (FileAlreadyExistsException e) {
                        ch.close(); // another rank of the job published its lock file first: share that one
                    }
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (java.nio.file.NoSuchFileException e) {
                continue; // removed meanwhile by a cleaner: make it anew
            }
            FileLock lock = ch.tryLock(0, Long.MAX_VALUE, true);
            if (lock != null && Files.exists(path)) {
                return new Held(ch, lock);
            }
            ch.close(); // a cleaner holds it for a moment, or removed it: look again
            sleepQuietly();
        }
        throw new IOException("cannot lock " + path + ": another process keeps it locked exclusively");
    }

    /**
     * Ends this process's use of {@code job}; when no process on this host uses it any more, deletes whatever of
     * its files is left (rings a peer never opened, probes, temporary files) and its lock file.
     */
    static synchronized void release(Path dir, String job) {
        Held h = HELD.get(job);
        if (h == null || --h.users > 0) {
            return;
        }
        HELD.remove(job);
        try {
            h.lock.release();
            h.channel.close(); // also drops this process's lock, which the exclusive try below must not meet
        } catch (IOException e) {
            LOG.debug("releasing {}: {}", lockPath(dir, job), e.toString());
        }
        removeIfDead(dir, job);
    }

    /**
     * Deletes the files of every job on this host none of whose processes is alive (found by its lock file),
     * except jobs this process holds.
     *
     * @return how many jobs' files were deleted
     */
    static synchronized int removeDead(Path dir) {
        int removed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String job = name.substring(PREFIX.length(), name.length() - SUFFIX.length());
                if (!HELD.containsKey(job) && removeIfDead(dir, job)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", dir, e.toString());
        }
        removeOrphanLockTemps(dir);
        return removed;
    }

    /**
     * Deletes lock files that a process made but never published ({@code jccl-<job>-lock.tmp-<pid>-<n>}: it was killed
     * between making and linking it) once that process is gone; a job without a published lock file is not found by
     * its lock, so its temporary would stay.
     */
    private static void removeOrphanLockTemps(Path dir) {
        String marker = "-lock.tmp-";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*" + marker + "*")) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String rest = name.substring(name.lastIndexOf(marker) + marker.length());
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(p);
                    }
                } catch (NumberFormatException | IOException e) {
                    LOG.debug("left {} alone: {}", p, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", dir, e.toString());
        }
    }

    /** Deletes {@code job}'s files when its lock file can be locked exclusively (no live holder); true if it did. */
    private static boolean removeIfDead(Path dir, String job) {
        Path path = lockPath(dir, job);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = ch.tryLock(0, Long.MAX_VALUE, false);
            } catch (OverlappingFileLockException e) {
                return false; // this JVM holds it
            }
            if (lock == null) {
                return false; // a live process of the job holds it
            }
            try {
                int n = deleteFiles(dir, job);
                Files.deleteIfExists(path);
                if (n > 0) {
                    LOG.debug("removed {} left-over shared-memory files of job {}", n, job);
                }
                return true;
            } finally {
                lock.release();
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            LOG.debug("cannot check {}: {}", path, e.toString());
            return false;
        }
    }

    private static int deleteFiles(Path dir, String job) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + job + "-*")) {
            for (Path f : ds) {
                n += Files.deleteIfExists(f) ? 1 : 0;
            }
        }
        return n;
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
