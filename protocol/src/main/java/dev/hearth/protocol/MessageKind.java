package dev.hearth.protocol;

import dev.hearth.protocol.wire.Envelope;
import java.util.EnumSet;
import java.util.Set;

/// The kinds of message a frame may carry: the kind tag (the `Envelope` oneof field number), who may send it,
/// and its frame-size maximum from [ProtocolLimits].
public enum MessageKind {
    HELLO(Envelope.PayloadCase.HELLO, Sender.NODE, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    CHALLENGE(Envelope.PayloadCase.CHALLENGE, Sender.COORDINATOR, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    CHALLENGE_RESPONSE(Envelope.PayloadCase.CHALLENGE_RESPONSE, Sender.NODE, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    WELCOME(Envelope.PayloadCase.WELCOME, Sender.COORDINATOR, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    REJECT(Envelope.PayloadCase.REJECT, Sender.COORDINATOR, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    CHECKPOINT_MANIFEST_REQUEST(Envelope.PayloadCase.CHECKPOINT_MANIFEST_REQUEST, Sender.NODE,
            ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    CHECKPOINT_MANIFEST(Envelope.PayloadCase.CHECKPOINT_MANIFEST, Sender.COORDINATOR,
            ProtocolLimits.MAX_MANIFEST_FRAME_BYTES),
    CHUNK_REQUEST(Envelope.PayloadCase.CHUNK_REQUEST, Sender.NODE, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    CHUNK(Envelope.PayloadCase.CHUNK, Sender.COORDINATOR, ProtocolLimits.MAX_CHUNK_FRAME_BYTES),
    BATCH_REQUEST(Envelope.PayloadCase.BATCH_REQUEST, Sender.NODE, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    BATCH_DATA(Envelope.PayloadCase.BATCH_DATA, Sender.COORDINATOR, ProtocolLimits.MAX_BATCH_DATA_FRAME_BYTES),
    ROUND_START(Envelope.PayloadCase.ROUND_START, Sender.COORDINATOR, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    UPDATE_UPLOAD(Envelope.PayloadCase.UPDATE_UPLOAD, Sender.NODE, ProtocolLimits.MAX_UPDATE_UPLOAD_FRAME_BYTES),
    UPDATE_RECEIPT(Envelope.PayloadCase.UPDATE_RECEIPT, Sender.COORDINATOR, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    ROUND_COMMIT(Envelope.PayloadCase.ROUND_COMMIT, Sender.COORDINATOR, ProtocolLimits.MAX_ROUND_COMMIT_FRAME_BYTES),
    HEARTBEAT(Envelope.PayloadCase.HEARTBEAT, Sender.EITHER, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    LEAVE(Envelope.PayloadCase.LEAVE, Sender.EITHER, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    RUN_STATUS_REQUEST(Envelope.PayloadCase.RUN_STATUS_REQUEST, Sender.NODE, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    RUN_STATUS(Envelope.PayloadCase.RUN_STATUS, Sender.COORDINATOR, ProtocolLimits.MAX_RUN_STATUS_FRAME_BYTES),
    DATASET_MANIFEST_REQUEST(Envelope.PayloadCase.DATASET_MANIFEST_REQUEST, Sender.NODE,
            ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    DATASET_MANIFEST(Envelope.PayloadCase.DATASET_MANIFEST, Sender.COORDINATOR, ProtocolLimits.MAX_MANIFEST_FRAME_BYTES),
    SHARD_CHUNK_REQUEST(Envelope.PayloadCase.SHARD_CHUNK_REQUEST, Sender.NODE, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    SHARD_CHUNK(Envelope.PayloadCase.SHARD_CHUNK, Sender.COORDINATOR, ProtocolLimits.MAX_CHUNK_FRAME_BYTES),
    /// A list of presigned URLs (~0.7 KiB each) like a manifest's list of chunk hashes: the manifest's cap.
    COMMIT_CATCH_UP(Envelope.PayloadCase.COMMIT_CATCH_UP, Sender.COORDINATOR, ProtocolLimits.MAX_MANIFEST_FRAME_BYTES),
    COMMIT_CHUNK_REQUEST(Envelope.PayloadCase.COMMIT_CHUNK_REQUEST, Sender.NODE, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    /// At most one checkpoint chunk's bytes (a stored commit is asked for in chunks of that size).
    COMMIT_CHUNK(Envelope.PayloadCase.COMMIT_CHUNK, Sender.COORDINATOR, ProtocolLimits.MAX_CHUNK_FRAME_BYTES),
    /// One `StoredCommit` (a presigned URL of ~0.7 KiB): a control message.
    LIVE_COMMIT(Envelope.PayloadCase.LIVE_COMMIT, Sender.COORDINATOR, ProtocolLimits.MAX_CONTROL_FRAME_BYTES),
    ROUND_WITHDRAWN(Envelope.PayloadCase.ROUND_WITHDRAWN, Sender.COORDINATOR, ProtocolLimits.MAX_CONTROL_FRAME_BYTES);

    /// Which side of a connection may send a kind of message.
    public enum Sender { NODE, COORDINATOR, EITHER }

    private static final MessageKind[] BY_TAG = new MessageKind[128];

    static {
        for (MessageKind kind : values()) {
            BY_TAG[kind.tag()] = kind;
        }
    }

    private final Envelope.PayloadCase payloadCase;
    private final Sender sender;
    private final int maxFrameBytes;

    MessageKind(Envelope.PayloadCase payloadCase, Sender sender, int maxFrameBytes) {
        this.payloadCase = payloadCase;
        this.sender = sender;
        this.maxFrameBytes = maxFrameBytes;
    }

    /// The one-byte kind tag written after the frame length: the `Envelope` oneof field number.
    public int tag() {
        return payloadCase.getNumber();
    }

    public Envelope.PayloadCase payloadCase() {
        return payloadCase;
    }

    public Sender sender() {
        return sender;
    }

    /// Largest frame (kind tag + body) of this kind, in bytes.
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /// The kind with this tag, or `null` when no message has it.
    public static MessageKind forTag(int tag) {
        return tag >= 0 && tag < BY_TAG.length ? BY_TAG[tag] : null;
    }

    /// The kind of message an envelope carries.
    ///
    /// @throws IllegalArgumentException when the envelope carries no message
    public static MessageKind of(Envelope envelope) {
        MessageKind kind = envelope.getPayloadCase() == Envelope.PayloadCase.PAYLOAD_NOT_SET
                ? null : forTag(envelope.getPayloadCase().getNumber());
        if (kind == null) {
            throw new IllegalArgumentException("envelope carries no message (payload not set)");
        }
        return kind;
    }

    /// Kinds the given side may receive: what the other side may send, plus `EITHER`.
    public static Set<MessageKind> receivableBy(Sender receiver) {
        EnumSet<MessageKind> kinds = EnumSet.noneOf(MessageKind.class);
        for (MessageKind kind : values()) {
            if (kind.sender == Sender.EITHER || kind.sender != receiver) {
                kinds.add(kind);
            }
        }
        return kinds;
    }
}
