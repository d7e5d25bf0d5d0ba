package dev.hearth.node.worker;

import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/// Entry point of the trainer worker child JVM. It owns the GPU/CPU work so that pausing can free
/// every byte of device memory by exiting, and so that a native crash cannot take the node or UI down.
///
/// Talks to the node over stdin/stdout ({@link WorkerFrames}); logs to stderr. Exits when stdin
/// closes (the node died) or on SHUTDOWN, after saving its optimizer state.
public final class WorkerMain {

    /// Bytes of the SHA-256 a COMMITTED frame carries.
    static final int SHA256_BYTES = 32;

    private WorkerMain() {}

    public static void main(String[] args) throws IOException {
        // stdout is the frame channel: nothing else may write to it.
        PrintStream frames = System.out;
        System.setOut(System.err);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(frames, 1 << 16));
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        WorkerSpec spec = WorkerSpec.fromArgs(args);
        TrainerCore core;
        try {
            core = new TrainerCore(spec);
        } catch (Exception e) {
            WorkerFrames.write(out, WorkerFrames.FAILED, utf8("worker could not start: " + e.getMessage()));
            System.exit(3);
            return;
        }
        saidBackend = core.backendDescription();
        WorkerFrames.write(out, WorkerFrames.READY, utf8(saidBackend));
        long lastRound = 0;
        while (true) {
            WorkerFrames.Frame f = WorkerFrames.read(in);
            if (f == null) { // the node went away: keep the residual and leave
                core.saveState(lastRound);
                break;
            }
            if (f.type() == WorkerFrames.SHUTDOWN) {
                core.saveState(lastRound);
                WorkerFrames.write(out, WorkerFrames.SAVED, new byte[0]);
                break;
            }
            if (f.type() == WorkerFrames.COMMIT) {
                commit(out, core, f.payload());
                continue;
            }
            if (f.type() != WorkerFrames.TRAIN) {
                WorkerFrames.write(out, WorkerFrames.FAILED, utf8("unknown frame type " + f.type()));
                continue;
            }
            TrainJob job = decodeJob(f.payload());
            lastRound = job.round();
            try {
                TrainResult r = core.train(job, (done, total) -> {
                    try {
                        WorkerFrames.write(out, WorkerFrames.PROGRESS, progress(job.round(), done, total));
                    } catch (IOException ignored) {
                        // the node is gone; the read loop will notice
                    }
                });
                sayBackendIfChanged(out, core);
                WorkerFrames.write(out, WorkerFrames.RESULT, encodeResult(r));
            } catch (Exception e) {
                sayBackendIfChanged(out, core);
                WorkerFrames.write(out, WorkerFrames.FAILED, utf8("round " + job.round() + ": " + e));
            }
        }
        core.close();
        out.flush();
        System.exit(0);
    }

    private static String saidBackend = "";

    /// Applies a COMMIT frame and answers it: COMMITTED with the digest reached, or COMMIT_REFUSED with the reason
    /// (a frame that cannot be read is refused too: the node then sends the file, as after any refusal).
    private static void commit(DataOutputStream out, TrainerCore core, byte[] payload) throws IOException {
        CommitOutcome outcome;
        try {
            Commit c = decodeCommit(payload);
            outcome = core.applyCommit(c.run(), c.commit());
        } catch (IOException e) {
            outcome = CommitOutcome.refused(-1, "corrupt commit frame: " + e.getMessage());
        }
        WorkerFrames.write(out, outcome.applied() ? WorkerFrames.COMMITTED : WorkerFrames.COMMIT_REFUSED,
                encodeOutcome(outcome));
    }

    /// A COMMIT frame's content: the run's wire config (the rule and blocking the step is applied with) and the
    /// commit as the coordinator sent it.
    record Commit(RunConfig run, RoundCommit commit) {}

    static byte[] encodeCommit(RunConfig run, RoundCommit commit) throws IOException {
        byte[] r = run.toByteArray();
        byte[] c = commit.toByteArray();
        var bytes = new ByteArrayOutputStream(8 + r.length + c.length);
        var d = new DataOutputStream(bytes);
        d.writeInt(r.length);
        d.write(r);
        d.writeInt(c.length);
        d.write(c);
        return bytes.toByteArray();
    }

    /// @throws IOException if the lengths do not add up to the frame, or either message does not parse
    static Commit decodeCommit(byte[] payload) throws IOException {
        var d = new DataInputStream(new ByteArrayInputStream(payload));
        try {
            RunConfig run = RunConfig.parseFrom(lengthPrefixed(d, payload.length, "run config"));
            RoundCommit commit = RoundCommit.parseFrom(lengthPrefixed(d, payload.length, "round commit"));
            if (d.available() != 0) throw new IOException(d.available() + " trailing bytes");
            return new Commit(run, commit);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException("unparsable message: " + e.getMessage(), e);
        } catch (java.io.EOFException e) {
            throw new IOException("truncated after " + (payload.length - d.available()) + " of " + payload.length
                    + " bytes", e);
        }
    }

    private static byte[] lengthPrefixed(DataInputStream d, int frameBytes, String what) throws IOException {
        int n = d.readInt();
        if (n < 0 || n > frameBytes) throw new IOException(what + " of " + n + " bytes in a frame of " + frameBytes);
        byte[] b = new byte[n];
        d.readFully(b);
        return b;
    }

    static byte[] encodeOutcome(CommitOutcome o) throws IOException {
        var bytes = new ByteArrayOutputStream();
        var d = new DataOutputStream(bytes);
        d.writeLong(o.version());
        if (o.applied()) d.write(o.sha256());
        else d.writeUTF(o.reason());
        return bytes.toByteArray();
    }

    /// @param applied whether the frame was COMMITTED (else COMMIT_REFUSED)
    static CommitOutcome decodeOutcome(byte[] payload, boolean applied) throws IOException {
        var d = new DataInputStream(new ByteArrayInputStream(payload));
        long version = d.readLong();
        if (!applied) return CommitOutcome.refused(version, d.readUTF());
        byte[] sha = new byte[SHA256_BYTES];
        d.readFully(sha);
        return CommitOutcome.applied(version, sha);
    }

    /// Tells the node when the backend changed during a round (an out-of-memory retry or the CPU fallback), so
    /// `./hearth status`, the app and the coordinator show what trains now.
    private static void sayBackendIfChanged(DataOutputStream out, TrainerCore core) throws IOException {
        String now = core.backendDescription();
        if (!now.equals(saidBackend)) {
            saidBackend = now;
            WorkerFrames.write(out, WorkerFrames.BACKEND, utf8(now));
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] encodeJob(TrainJob job) throws IOException {
        var bytes = new ByteArrayOutputStream();
        var d = new DataOutputStream(bytes);
        d.writeLong(job.round());
        d.writeLong(job.version());
        d.writeUTF(job.paramsFile().toString());
        d.writeInt(job.batchIds().length);
        for (long id : job.batchIds()) d.writeLong(id);
        d.writeFloat(job.lr());
        return bytes.toByteArray();
    }

    static TrainJob decodeJob(byte[] payload) throws IOException {
        var d = new DataInputStream(new ByteArrayInputStream(payload));
        long round = d.readLong();
        long version = d.readLong();
        Path file = Path.of(d.readUTF());
        int n = d.readInt();
        if (n < 0 || n > 1 << 20) throw new IOException("job with " + n + " batches");
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = d.readLong();
        float lr = d.readFloat();
        if (!(lr >= 0f && Float.isFinite(lr))) throw new IOException("job with learning rate " + lr);
        return new TrainJob(round, version, file, ids, lr);
    }

    static byte[] encodeResult(TrainResult r) throws IOException {
        var bytes = new ByteArrayOutputStream();
        var d = new DataOutputStream(bytes);
        d.writeLong(r.round());
        d.writeFloat(r.loss());
        d.writeLong(r.tokens());
        d.writeLong(r.computeMillis());
        d.writeDouble(r.compressionRatio());
        d.writeInt(r.payload().length);
        d.write(r.payload());
        return bytes.toByteArray();
    }

    static TrainResult decodeResult(byte[] payload) throws IOException {
        var d = new DataInputStream(new ByteArrayInputStream(payload));
        long round = d.readLong();
        float loss = d.readFloat();
        long tokens = d.readLong();
        long millis = d.readLong();
        double ratio = d.readDouble();
        int n = d.readInt();
        if (n < 0 || n > WorkerFrames.MAX_FRAME_BYTES) throw new IOException("result payload of " + n + " bytes");
        byte[] p = new byte[n];
        d.readFully(p);
        return new TrainResult(round, p, loss, tokens, millis, ratio);
    }

    static byte[] progress(long round, int done, int total) throws IOException {
        var bytes = new ByteArrayOutputStream();
        var d = new DataOutputStream(bytes);
        d.writeLong(round);
        d.writeInt(done);
        d.writeInt(total);
        return bytes.toByteArray();
    }
}
