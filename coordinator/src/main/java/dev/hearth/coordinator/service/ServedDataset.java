package dev.hearth.coordinator.service;

import com.google.protobuf.ByteString;
import dev.hearth.coordinator.storage.S3ObjectStore;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.data.DatasetManifest;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.wire.ShardChunk;
import dev.hearth.protocol.wire.ShardChunkRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/// The run's training data as nodes fetch it (issue 17): the corpus's [DatasetManifest] (whose SHA-256 the
/// Welcome's run config names) and its shards, served in chunks of [#CHUNK_BYTES] straight from the
/// coordinator's token cache. The coordinator does not re-hash what it serves: each node checks every shard
/// against the manifest, which is the point (the bytes could as well come from a bucket or a mirror).
final class ServedDataset {

    /// 1 MiB: the checkpoint's chunk size, the largest a frame carries.
    static final int CHUNK_BYTES = ProtocolLimits.MAX_CHUNK_DATA_BYTES;
    /// Bytes before a shard file's tokens (the token cache's shard header: magic, format, count).
    static final int SHARD_HEADER_BYTES = 16;

    private record Entry(Path file, long tokens) {}

    private final byte[] manifestBytes;
    private final byte[] manifestSha256;
    private final Map<ByteString, Entry> shards = new HashMap<>();
    private final List<String> order; // shard SHA-256s (hex), manifest order
    private final AtomicLong bytesServed = new AtomicLong();
    private S3ObjectStore published; // the bucket holding every shard, or null

    private ServedDataset(byte[] manifestBytes, Map<ByteString, Entry> shards, List<String> order) {
        this.manifestBytes = manifestBytes;
        this.manifestSha256 = Fingerprints.sha256(manifestBytes);
        this.shards.putAll(shards);
        this.order = List.copyOf(order);
    }

    static ServedDataset of(Corpus corpus) {
        DatasetManifest m = corpus.manifest();
        Map<ByteString, Entry> shards = new HashMap<>();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < m.shards().size(); i++) {
            DatasetManifest.Shard s = m.shards().get(i);
            shards.put(ByteString.copyFrom(Fingerprints.fromHex(s.sha256())), new Entry(corpus.shardFile(i), s.tokens()));
            order.add(s.sha256());
        }
        return new ServedDataset(m.encode(), shards, order);
    }

    /// Writes every shard's tokens to the bucket (those already there, by name = content, are skipped), so nodes
    /// fetch them from storage; the manifest then carries a presigned URL per shard.
    ///
    /// @return how many shards were written
    int publish(S3ObjectStore objects) throws IOException {
        int written = 0;
        for (String sha : order) {
            String name = objectName(sha);
            if (!objects.exists(name)) {
                Entry e = shards.get(ByteString.copyFrom(Fingerprints.fromHex(sha)));
                byte[] file = Files.readAllBytes(e.file());
                objects.put(name, Arrays.copyOfRange(file, SHARD_HEADER_BYTES, file.length));
                written++;
            }
        }
        published = objects;
        return written;
    }

    /// A shard's object: named by the SHA-256 of its tokens (the same bytes under the same name in every run).
    static String objectName(String sha256Hex) {
        return "datasets/shards/" + sha256Hex + ".tokens";
    }

    /// Shard bytes this process sent itself.
    long bytesServed() {
        return bytesServed.get();
    }

    byte[] manifestSha256() {
        return manifestSha256.clone();
    }

    dev.hearth.protocol.wire.DatasetManifest manifest() {
        var m = dev.hearth.protocol.wire.DatasetManifest.newBuilder().setManifest(ByteString.copyFrom(manifestBytes));
        if (published != null) {
            for (String sha : order) {
                m.addShardUrl(published.presignGet(objectName(sha)).toString());
            }
        }
        return m.build();
    }

    int shardCount() {
        return shards.size();
    }

    /// The chunk asked for, or a chunk carrying the reason it cannot be served.
    ShardChunk chunk(ShardChunkRequest r) {
        ShardChunk.Builder out = ShardChunk.newBuilder().setShardSha256(r.getShardSha256()).setIndex(r.getIndex());
        Entry e = shards.get(r.getShardSha256());
        if (e == null) {
            return out.setError("no shard with that SHA-256 in this run's dataset").build();
        }
        long from = (long) r.getIndex() * CHUNK_BYTES;
        if (r.getIndex() < 0 || from >= e.tokens()) {
            return out.setError("chunk " + r.getIndex() + " is past the end of the shard").build();
        }
        int len = (int) Math.min(CHUNK_BYTES, e.tokens() - from);
        ByteBuffer buf = ByteBuffer.allocate(len);
        try (FileChannel ch = FileChannel.open(e.file(), StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, SHARD_HEADER_BYTES + from + buf.position()) < 0) {
                    return out.setError("the coordinator's copy of the shard is truncated").build();
                }
            }
        } catch (IOException ex) {
            return out.setError("the coordinator cannot read the shard: " + ex.getMessage()).build();
        }
        bytesServed.addAndGet(len);
        return out.setData(ByteString.copyFrom(buf.flip())).build();
    }
}
