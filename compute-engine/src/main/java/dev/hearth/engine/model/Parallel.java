package dev.hearth.engine.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/// A tiny fork-join for the model's kernels: `threads − 1` named daemon workers plus the caller split a range
/// into contiguous chunks. Built for hundreds of short regions per training step: workers spin briefly
/// (about {@link #SPIN_NANOS}) for the next region before parking, so a region costs microseconds,
/// not a thread wake-up. With one thread everything runs inline.
public final class Parallel implements AutoCloseable {

    /// Body of a region: process `[from, to)`; `worker` is 0..threads-1 (index per-thread scratch with it).
    @FunctionalInterface
    public interface Range {
        void run(int from, int to, int worker);
    }

    /// 50 µs: longer than the gap between two kernels of a step, far shorter than a scheduler tick.
    static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Range body;
    private volatile int total;
    private volatile Throwable failure;

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

    /// Runs `body` over `[0, n)` on all threads and returns when every chunk is done; rethrows a worker's failure.
    public void forRange(int n, Range body) {
        if (threads == 1 || n < 2) {
            body.run(0, n, 0);
            return;
        }
        if (closed) {
            throw new IllegalStateException("Parallel is closed");
        }
        this.body = body;
        this.total = n;
        this.failure = null;
        pending.set(workers.length);
        generation++; // publishes body and total to the workers
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        body.run(0, chunk(n, 1), 0);
        while (pending.get() > 0) {
            Thread.onSpinWait();
        }
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("engine worker failed", f);
        }
    }

    private int chunk(int n, int k) {
        return (int) ((long) n * k / threads);
    }

    private void work(int id) {
        long seen = 0;
        while (!closed) {
            long g = generation;
            if (g == seen) {
                long spinStart = System.nanoTime();
                while (generation == seen && !closed && System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                }
                if (generation == seen && !closed) {
                    LockSupport.parkNanos(this, 1_000_000);
                }
                continue;
            }
            seen = g;
            int n = total;
            try {
                body.run(chunk(n, id), chunk(n, id + 1), id);
            } catch (Throwable t) {
                failure = t;
            }
            pending.decrementAndGet();
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
