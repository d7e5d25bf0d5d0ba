package dev.hearth.coordinator.storage;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/// Writes the run's bulk bytes to storage (checkpoints, commits) on its own thread, `hearth-storage-writer`, so a slow
/// or failing bucket never holds the run thread while it commits rounds and answers nodes.
///
/// - **Order**: one thread, first in first out, so the commits of successive versions reach storage in version order.
///   What a write makes available (a commit's URL in [CommitLog], a checkpoint's in its manifest) is published only
///   when its write has succeeded, so no node is handed a URL of bytes not yet in storage.
/// - **Back-pressure**: at most [#MAX_PENDING] writes are queued or running; a further [#submit] waits for one to
///   finish (the run then waits for storage, which is slower than rounds for as long as that lasts, rather than
///   holding ever more commits in memory).
/// - **Failures**: a write is tried [#ATTEMPTS] times with a doubling pause ([#FIRST_RETRY_PAUSE]); each failure is
///   logged with what was being written (the object's key is in the message), and one that fails every attempt is
///   surfaced: its future completes exceptionally, [#failures] counts it and [#lastFailure] says why.
public final class StorageWriter implements AutoCloseable {

    /// 4 writes: each holds its bytes until written (a commit is 2 bits per parameter with the sign step, 250 MB at
    /// 1B parameters), so 4 bound that memory at ~1 GB while a bucket slower than a round catches up.
    public static final int MAX_PENDING = 4;
    /// 3 attempts per write (each of which the AWS SDK itself retries on a dropped connection or a 5xx).
    public static final int ATTEMPTS = 3;
    /// 1 s before the second attempt, 2 s before the third: long enough for a throttled bucket to recover, short
    /// enough that a failing one is reported within seconds.
    public static final Duration FIRST_RETRY_PAUSE = Duration.ofSeconds(1);
    /// 60 s at close for the writes still queued (the commits of the last rounds, which a restart looks for).
    static final Duration CLOSE_WAIT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(StorageWriter.class);

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hearth-storage-writer");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore slots = new Semaphore(MAX_PENDING);
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<String> lastFailure = new AtomicReference<>("");

    /// Queues `write` (which throws to fail) after the writes already queued; waits while [#MAX_PENDING] are.
    ///
    /// @param what what is written, for the log ("commit of version 12")
    /// @return completes when the write succeeded, or exceptionally with its last failure after [#ATTEMPTS]
    public CompletableFuture<Void> submit(String what, Runnable write) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!slots.tryAcquire()) {
            LOG.warn("storage is {} writes behind; {} waits for one of them", MAX_PENDING, what);
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.completeExceptionally(new StorageException(what + " was not written: interrupted while storage"
                        + " was " + MAX_PENDING + " writes behind", e));
                return done;
            }
        }
        try {
            thread.execute(() -> {
                try {
                    attempt(what, write);
                    done.complete(null);
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    lastFailure.set(what + ": " + e.getMessage());
                    LOG.error("{} not written after {} attempts: {}", what, ATTEMPTS, e.getMessage());
                    done.completeExceptionally(e);
                } finally {
                    slots.release();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            slots.release();
            done.completeExceptionally(new StorageException(what + " was not written: the coordinator is closing", e));
        }
        return done;
    }

    private static void attempt(String what, Runnable write) {
        Duration pause = FIRST_RETRY_PAUSE;
        for (int i = 1; ; i++) {
            try {
                write.run();
                if (i > 1) LOG.info("{} written at attempt {}", what, i);
                return;
            } catch (RuntimeException e) {
                if (i == ATTEMPTS) throw e;
                LOG.warn("{}: attempt {} of {} failed ({}); again in {} ms", what, i, ATTEMPTS, e.getMessage(),
                        pause.toMillis());
                try {
                    Thread.sleep(pause); // the writer's own thread: nothing else waits on it but later writes
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = pause.multipliedBy(2);
            }
        }
    }

    /// Writes that failed every attempt since the start.
    public long failures() {
        return failures.get();
    }

    /// The last write that failed every attempt, and why ("" when none did).
    public String lastFailure() {
        return lastFailure.get();
    }

    /// Writes the ones queued (up to [#CLOSE_WAIT]), then stops.
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("storage writes still pending after {} s at close; they are dropped", CLOSE_WAIT.toSeconds());
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
    }
}
