package dev.hearth.node.worker;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/// The node ↔ trainer-worker pipe: frames of `int length, byte type, payload` over the child's
/// stdin/stdout (stderr stays free for the worker's log lines). The worker handles frames one at a time, in order,
/// so a COMMIT written before a TRAIN is applied before that round trains. docs/architecture.md ("The trainer
/// worker") lists the frames; docs/decisions/0008-worker-process-protocol.md says why the pipe looks like this.
final class WorkerFrames {

    /// 64 MiB: a `small` update is ~0.4 MB and the largest COMMIT is a RoundCommit frame (at most
    /// `ProtocolLimits.MAX_ROUND_COMMIT_FRAME_BYTES`, 16 MiB) plus the run's config; anything near this is a bug,
    /// not a payload.
    static final int MAX_FRAME_BYTES = 64 << 20;

    // node → worker
    static final byte TRAIN = 1;
    static final byte SHUTDOWN = 2;
    /// A commit the node verified: `int n, n bytes of the run's wire RunConfig, int m, m bytes of the RoundCommit`
    /// ({@link WorkerMain#encodeCommit}). The worker applies it to the parameters it holds and answers
    /// {@link #COMMITTED} or {@link #COMMIT_REFUSED}.
    static final byte COMMIT = 3;
    // worker → node
    static final byte READY = 10;
    static final byte PROGRESS = 11;
    static final byte RESULT = 12;
    static final byte FAILED = 13;
    static final byte SAVED = 14;
    /// The trainer's backend description changed (it left the GPU after running out of memory): UTF-8 text.
    static final byte BACKEND = 15;
    /// The worker applied a COMMIT and its parameters' SHA-256 is the commit's: `long version, 32 bytes SHA-256`.
    static final byte COMMITTED = 16;
    /// The worker did not apply a COMMIT and holds no usable parameters for the commit's version (it missed a
    /// version, the step was malformed, the digest differed, the frame was corrupt): `long version` (the commit's
    /// new version, or -1 when the frame could not be read), UTF reason. The node writes the full parameters file
    /// before the next round; the worker reads it then.
    static final byte COMMIT_REFUSED = 17;

    record Frame(byte type, byte[] payload) {}

    private WorkerFrames() {}

    static void write(DataOutputStream out, byte type, byte[] payload) throws IOException {
        synchronized (out) {
            out.writeInt(payload.length + 1);
            out.writeByte(type);
            out.write(payload);
            out.flush();
        }
    }

    /// @return null at a clean end of stream
    static Frame read(DataInputStream in) throws IOException {
        int len;
        try {
            len = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        if (len < 1 || len > MAX_FRAME_BYTES) throw new IOException("worker frame of " + len + " bytes is out of bounds");
        byte type = in.readByte();
        byte[] payload = new byte[len - 1];
        in.readFully(payload);
        return new Frame(type, payload);
    }
}
