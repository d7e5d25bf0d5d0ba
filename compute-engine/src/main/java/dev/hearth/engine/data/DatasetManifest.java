package dev.hearth.engine.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/// The content address of a run's training data: the corpus id and, in stream order, every token shard with the
/// SHA-256 of its tokens. The coordinator names the manifest's own SHA-256 in the run config, so a node that holds
/// a manifest with that hash and shards with the hashes listed in it holds exactly the coordinator's data, from
/// wherever the bytes came (the coordinator, a bucket, a copy on local disk).
///
/// Encoding (UTF-8 text, `\n` line ends, nothing else; the SHA-256 of these bytes is the manifest's address):
/// ```
/// hearth-dataset 1
/// corpus <id>
/// shard <64 lower-case hex: SHA-256 of the shard's tokens> <token count, decimal>
/// shard ...
/// ```
/// [#parse] accepts only the canonical form (what [#encode] writes), so one dataset has one address.
///
/// @param corpusId the corpus id ([Corpus#id]): it seeds the window order, so it is part of the address
/// @param shards   the shards in stream order, at least one
public record DatasetManifest(String corpusId, List<Shard> shards) {

    /// First line of every manifest: the format and its version.
    static final String HEADER = "hearth-dataset 1";
    /// 200 KiB: ~2,400 shards of 8 Mi tokens = 20 GB of text per run, under the 256 KiB manifest frame with room
    /// for the envelope.
    public static final int MAX_ENCODED_BYTES = 200 * 1024;
    private static final Pattern CORPUS_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /// One shard: the SHA-256 (hex) of its tokens and how many tokens it holds.
    public record Shard(String sha256, long tokens) {
        public Shard {
            if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
                throw new IllegalArgumentException("a shard's SHA-256 must be 64 lower-case hex digits, got " + sha256);
            }
            if (tokens < 1 || tokens > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a shard holds 1.." + Integer.MAX_VALUE + " tokens, got " + tokens);
            }
        }
    }

    public DatasetManifest {
        if (corpusId == null || !CORPUS_ID.matcher(corpusId).matches()) {
            throw new IllegalArgumentException("corpus id must be 1-64 letters, digits, '.', '_' or '-', got " + corpusId);
        }
        shards = List.copyOf(shards);
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("a dataset has at least one shard");
        }
    }

    /// Total tokens over all shards.
    public long tokens() {
        long n = 0;
        for (Shard s : shards) {
            n += s.tokens();
        }
        return n;
    }

    /// Token offset where each shard starts, plus the total at the end (length `shards + 1`).
    public long[] shardStarts() {
        long[] starts = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) {
            starts[i + 1] = starts[i] + shards.get(i).tokens();
        }
        return starts;
    }

    /// The canonical bytes.
    public byte[] encode() {
        StringBuilder b = new StringBuilder(HEADER).append('\n').append("corpus ").append(corpusId).append('\n');
        for (Shard s : shards) {
            b.append("shard ").append(s.sha256()).append(' ').append(s.tokens()).append('\n');
        }
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_ENCODED_BYTES) {
            throw new IllegalStateException("a manifest of " + shards.size() + " shards takes " + bytes.length
                    + " bytes, more than the " + MAX_ENCODED_BYTES + " a node accepts; use larger shards");
        }
        return bytes;
    }

    /// SHA-256 of [#encode]: the dataset's address.
    public byte[] sha256() {
        return sha256(encode());
    }

    public String sha256Hex() {
        return HexFormat.of().formatHex(sha256());
    }

    /// Parses a manifest, accepting only the canonical encoding.
    ///
    /// @throws CorpusFormatException naming the first thing wrong
    public static DatasetManifest parse(byte[] bytes) throws CorpusFormatException {
        if (bytes.length > MAX_ENCODED_BYTES) {
            throw new CorpusFormatException("dataset manifest of " + bytes.length + " bytes exceeds the limit of "
                    + MAX_ENCODED_BYTES);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.endsWith("\n")) {
            throw new CorpusFormatException("dataset manifest does not end with a line break (truncated?)");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (!lines[0].equals(HEADER)) {
            throw new CorpusFormatException("not a Hearth dataset manifest, or another format version (first line '"
                    + abbreviate(lines[0]) + "', expected '" + HEADER + "')");
        }
        if (lines.length < 3 || !lines[1].startsWith("corpus ")) {
            throw new CorpusFormatException("dataset manifest lacks its corpus line or its shards");
        }
        List<Shard> shards = new ArrayList<>();
        DatasetManifest m;
        try {
            for (int i = 2; i < lines.length; i++) {
                String[] f = lines[i].split(" ", -1);
                if (f.length != 3 || !f[0].equals("shard")) {
                    throw new CorpusFormatException("dataset manifest line " + (i + 1) + " is not 'shard <sha256> <tokens>': '"
                            + abbreviate(lines[i]) + "'");
                }
                shards.add(new Shard(f[1], Long.parseLong(f[2])));
            }
            m = new DatasetManifest(lines[1].substring("corpus ".length()), shards);
        } catch (IllegalArgumentException e) {
            throw new CorpusFormatException("dataset manifest: " + e.getMessage());
        }
        if (!Arrays.equals(m.encode(), bytes)) {
            throw new CorpusFormatException("dataset manifest is not in canonical form (extra spaces, leading zeros or"
                    + " another spelling of the same content)");
        }
        return m;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
