package dev.hearth.protocol;

import java.time.Duration;

/// Every size, rate and time limit of the Hearth wire protocol, each with its unit and the reason for its value.
///
/// Sizes are *frame* sizes: the 1-byte kind tag plus the protobuf body (the 4-byte length prefix is not counted).
/// A frame is checked against its kind's maximum from the 5-byte header, before its body is buffered or parsed.
public final class ProtocolLimits {

    /// Wire protocol version spoken by this build. A node speaking another version receives a readable `Reject`.
    public static final int PROTOCOL_VERSION = 1;

    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    /// Bytes of the frame header: 4-byte big-endian length, then the 1-byte kind tag.
    public static final int FRAME_HEADER_BYTES = 5;

    /// 64 KiB: control messages (Hello, Challenge, Welcome, RoundStart with a few hundred batch ids, receipts,
    /// heartbeats) are a few hundred bytes; 64 KiB leaves room for long readable reasons and device strings
    /// while an unauthenticated peer cannot make us buffer more than this.
    public static final int MAX_CONTROL_FRAME_BYTES = 64 * KIB;

    /// 256 KiB: a checkpoint manifest holds 34 bytes per chunk; 256 KiB covers ~7,500 chunks = a 7 GiB
    /// checkpoint at 1 MiB chunks, far beyond the "small" model.
    public static final int MAX_MANIFEST_FRAME_BYTES = 256 * KIB;

    /// 1 MiB: the largest checkpoint chunk payload a coordinator may send; small enough that one chunk never
    /// stalls heartbeats on a slow uplink, large enough that a checkpoint is a few hundred requests.
    public static final int MAX_CHUNK_DATA_BYTES = MIB;

    /// 1 MiB + 4 KiB: one chunk plus the envelope fields around it (version, index, tags, lengths).
    public static final int MAX_CHUNK_FRAME_BYTES = MAX_CHUNK_DATA_BYTES + 4 * KIB;

    /// 4 MiB: one batch request's tokens (sequences × context × 4 bytes); 8 sequences of 1,024 tokens are 32 KiB,
    /// so 4 MiB allows a generous prefetch without letting a coordinator bloat a node's heap.
    public static final int MAX_BATCH_DATA_FRAME_BYTES = 4 * MIB;

    /// 8 MiB: a DeMo update keeps top-k of each DCT block (1/64 or less of the parameters) with 1-bit or fp16
    /// values and 16-bit indices; for the "small" model that is well under 2 MiB, so 8 MiB is 4× headroom.
    public static final int MAX_UPDATE_UPLOAD_FRAME_BYTES = 8 * MIB;

    /// 16 MiB: a round commit carries the outer step in its `step` oneof: the sign step as 2-bit ternary signs, one
    /// per parameter (models up to ~64 M parameters), or the mean step's coefficients at most ~0.75 bytes per
    /// parameter (~21 M parameters at 64×64 blocks), plus the fixed fields. A larger commit is not refused: the
    /// coordinator writes it to storage and announces it by reference (`live_commit`, up to
    /// [#MAX_STORED_COMMIT_BYTES]); at start it checks its rule's worst case against that cap.
    public static final int MAX_ROUND_COMMIT_FRAME_BYTES = 16 * MIB;

    /// 256 MiB: a commit a node fetches from storage instead of receiving it in a frame (a catch-up's, or the round's
    /// own when it exceeds [#MAX_ROUND_COMMIT_FRAME_BYTES], announced as `live_commit`): the sign step of a
    /// 1B-parameter model is 250 MB (2 bits per parameter); the node holds it in memory once while applying it.
    public static final int MAX_STORED_COMMIT_BYTES = 256 * MIB;

    /// 1 MiB: run status carries the loss history (8 bytes per round), validation points, the leaderboard and a
    /// text sample; 1 MiB covers ~100k rounds of history.
    public static final int MAX_RUN_STATUS_FRAME_BYTES = MIB;

    /// The largest frame of any kind; the `LengthFieldBasedFrameDecoder` maximum (per-kind checks are tighter).
    public static final int MAX_FRAME_BYTES = MAX_ROUND_COMMIT_FRAME_BYTES;

    /// 32 bytes: the challenge nonce, 256 bits so that a nonce never repeats and cannot be guessed.
    public static final int NONCE_BYTES = 32;

    /// 64 bytes: an Ed25519 public key in X.509 encoding is 44 bytes; anything longer is not one.
    public static final int MAX_PUBLIC_KEY_BYTES = 64;

    /// 10 s: time allowed from TCP connect to an authenticated session (TLS handshake + Hello + challenge);
    /// a loopback handshake takes milliseconds and a slow home link well under a second.
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /// 15 s: when a side has written nothing for this long it sends a `Heartbeat`, so an idle but healthy
    /// connection always carries traffic well within [#READ_IDLE_TIMEOUT].
    public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(15);

    /// 60 s: a connection that delivered nothing for four heartbeat intervals is dead (NAT drop, sleeping
    /// laptop, hung peer) and is closed so the node reconnects and the coordinator frees its batches.
    public static final Duration READ_IDLE_TIMEOUT = Duration.ofSeconds(60);

    /// 1 MiB: below this many pending outbound bytes a channel becomes writable again.
    public static final int WRITE_BUFFER_LOW_WATER_MARK_BYTES = MIB;

    /// 4 MiB: above this many pending outbound bytes a channel reports not writable; senders of bulk data
    /// (chunks, batches) should wait for writability instead of queueing more.
    public static final int WRITE_BUFFER_HIGH_WATER_MARK_BYTES = 4 * MIB;

    /// 64 MiB: a peer that lets this much pile up unread is too slow to follow the run (a few round commits);
    /// its connection is closed rather than letting it exhaust the coordinator's memory.
    public static final long MAX_PENDING_OUTBOUND_BYTES = 64L * MIB;

    /// 16 KiB/s (128 kbit/s): the slowest a frame may arrive once its first byte has. A quarter of a 512 kbit/s
    /// ADSL uplink, the slowest a node is expected to have, so an honest node is never cut; a peer that dribbles
    /// a nearly complete 8 MiB upload one byte a minute is closed after [#frameDeadline] (~9 minutes) instead of
    /// holding its buffer for ever, and holding 1,000 such buffers costs it 16 MB/s of real upload.
    public static final int MIN_FRAME_RATE_BYTES_PER_SECOND = 16 * KIB;

    /// 10 s: the fixed part of a frame's deadline (round trips, TCP slow start, a TLS record split across
    /// segments); a control frame arrives in one round trip, so a stalled 3-byte header is cut after 10 s, far
    /// sooner than [#READ_IDLE_TIMEOUT] (which a byte every 59 s defeats).
    public static final Duration FRAME_DEADLINE_BASE = Duration.ofSeconds(10);

    /// How long a frame of `frameBytes` (its declared length, or the header's bytes while the header itself is
    /// incomplete) may take from its first byte to its last: [#FRAME_DEADLINE_BASE] plus its length at
    /// [#MIN_FRAME_RATE_BYTES_PER_SECOND].
    public static Duration frameDeadline(long frameBytes) {
        return FRAME_DEADLINE_BASE.plusMillis(Math.max(0, frameBytes) * 1000 / MIN_FRAME_RATE_BYTES_PER_SECOND);
    }

    /// How long a peer whose unread output went over [#WRITE_BUFFER_HIGH_WATER_MARK_BYTES] may take to read it
    /// back down to [#WRITE_BUFFER_LOW_WATER_MARK_BYTES] while the server reads none of its requests: the
    /// difference at [#MIN_FRAME_RATE_BYTES_PER_SECOND] plus [#FRAME_DEADLINE_BASE] (~3.4 minutes). A peer still
    /// over the mark then is closed.
    public static final Duration OUTPUT_DRAIN_TIMEOUT = frameDeadline(
            WRITE_BUFFER_HIGH_WATER_MARK_BYTES - WRITE_BUFFER_LOW_WATER_MARK_BYTES);

    /// 20 lines: burst of the server's log lines about connections that never authenticated (TLS failures,
    /// handshake timeouts, rejected hellos), so that a flood of bad connections cannot fill the disk.
    public static final int UNAUTHENTICATED_LOG_BURST = 20;

    /// 1 line per second sustained for the same lines (3,600 an hour, ~0.5 MB); the lines left out are counted
    /// and the count is logged with the next line that gets through.
    public static final int UNAUTHENTICATED_LOG_PER_SECOND = 1;

    /// 100 messages/s sustained per connection: a node sends a handful per round plus pipelined chunk and batch
    /// requests; a hundred per second is far above honest use and cheap to serve.
    public static final int MESSAGE_RATE_PER_SECOND = 100;

    /// 200 messages: burst allowance of the per-connection token bucket (a node pipelining chunk requests
    /// right after joining).
    public static final int MESSAGE_RATE_BURST = 200;

    /// 20,000 connections: one coordinator process held 10,000 simulated nodes on loopback (docs/benchmarks.md,
    /// "Coordinator scale"); a public run past that is split over gateway processes (docs/architecture.md). Each
    /// connection, authenticated or not, holds TLS state and up to a control frame of buffer (~100 KiB at worst), so
    /// this bounds what a connection flood can take to ~2 GiB, and stays within a 20,000 open-files limit's share.
    public static final int MAX_CONNECTIONS = 20_000;

    private ProtocolLimits() {
    }
}
