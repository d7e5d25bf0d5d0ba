package dev.hearth.node.worker;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/// The node ↔ trainer-worker pipe: frames of `int length, byte type, payload` over the child's
/// stdin/stdout (stderr stays free for the worker's log lines).
final class WorkerFrames {

    /// 64 MiB: a `small` update is ~0.4 MB; anything near this is a bug, not a payload.
    static final int MAX_FRAME_BYTES = 64 << 20;

    // node → worker
    static final byte TRAIN = 1;
    static final byte SHUTDOWN = 2;
    // worker → node
    static final byte READY = 10;
    static final byte PROGRESS = 11;
    static final byte RESULT = 12;
    static final byte FAILED = 13;
    static final byte SAVED = 14;
    /// The trainer's backend description changed (it left the GPU after running out of memory): UTF-8 text.
    static final byte BACKEND = 15;

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
