package dev.hearth.engine.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/// A tiny fork-join for the model's kernels: `threads − 1` named daemon workers plus the caller split a range
/// into contiguous chunks and claim them dynamically. Built for hundreds of short regions per training step:
/// workers spin briefly (about {@link #SPIN_NANOS}) for the next region before parking, so a region costs
/// microseconds, not a thread wake-up; and because chunks are claimed, not assigned, a worker that the OS
/// has descheduled (a busy machine) costs nothing: the caller takes its chunks. With one thread everything
/// runs inline.
public final class Parallel implements AutoCloseable {

    /// Body of a region: process `[from, to)`; `worker` is 0..threads-1 (index per-thread scratch with it).
    /// A worker may run several chunks of one region.
    @FunctionalInterface
    public interface Range {
        void run(int from, int to, int worker);
    }

    /// 50 µs: longer than the gap between two kernels of a step, far shorter than a scheduler tick.
    static final long SPIN_NANOS = 50_000;
    /// Chunks per thread by default: enough slack to rebalance, few enough to keep GEMM blocks large.
    static final int CHUNKS_PER_THREAD = 2;

    private final int threads;
    private final Thread[] workers;
    /// (generation << 32) | next unclaimed chunk: claiming with a CAS on the whole word means a worker
    /// that woke late can never claim a chunk of a newer region with an older body.
    private final AtomicLong state = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private volatile boolean closed;
    private volatile Range body;
    private volatile int total;
    private volatile int chunks;
    private volatile Throwable failure;
    private int generation;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = Thread.ofPlatform().name("hearth-engine-" + id).daemon().unstarted(() -> work(id));
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /// Runs `body` over `[0, n)` in `threads × 2` chunks; see {@link #forRange(int, int, Range)}.
    public void forRange(int n, Range body) {
        forRange(n, threads * CHUNKS_PER_THREAD, body);
    }

    /// Runs `body` over `[0, n)` split into `chunkCount` contiguous chunks and returns when all are done;
    /// rethrows a worker's failure. Not reentrant: one region at a time, from one caller thread.
    public void forRange(int n, int chunkCount, Range body) {
        int k = Math.max(1, Math.min(n, chunkCount));
        if (threads == 1 || k == 1) {
            body.run(0, n, 0);
            return;
        }
        if (closed) {
            throw new IllegalStateException("Parallel is closed");
        }
        this.body = body;
        this.total = n;
        this.chunks = k;
        this.failure = null;
        done.set(0);
        generation++;
        state.set((long) generation << 32); // publishes body, total, chunks to the workers
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        runChunks(generation, body, n, k, 0);
        long spinStart = System.nanoTime();
        while (done.get() < k) {
            // Only a chunk some worker already claimed is left: wait, politely once the wait gets long.
            if (System.nanoTime() - spinStart < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("engine worker failed", f);
        }
    }

    private void runChunks(int gen, Range b, int n, int k, int worker) {
        while (true) {
            long s = state.get();
            if ((int) (s >>> 32) != gen) {
                return;
            }
            int c = (int) s;
            if (c >= k) {
                return;
            }
            if (!state.compareAndSet(s, s + 1)) {
                continue;
            }
            try {
                b.run((int) ((long) n * c / k), (int) ((long) n * (c + 1) / k), worker);
            } catch (Throwable t) {
                failure = t;
            } finally {
                done.incrementAndGet();
            }
        }
    }

    private void work(int id) {
        int seen = 0;
        while (!closed) {
            long s = state.get();
            int gen = (int) (s >>> 32);
            if (gen == seen) {
                long spinStart = System.nanoTime();
                while ((int) (state.get() >>> 32) == seen && !closed && System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                }
                if ((int) (state.get() >>> 32) == seen && !closed) {
                    // No timeout: forRange unparks after publishing, and an early unpark leaves a permit,
                    // so no wake-up is lost; an idle engine then costs no CPU at all.
                    LockSupport.park(this);
                }
                continue;
            }
            seen = gen;
            Range b = body;
            int n = total;
            int k = chunks;
            runChunks(gen, b, n, k, id);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
