package dev.hearth.node.session;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.CheckpointManifests;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.Chunk;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/// Fetches checkpoint chunks from object storage (issue 17): the manifest's presigned GET URL, one HTTP `Range`
/// request per chunk, each chunk checked against its SHA-256 in the manifest before it is handed on. A chunk that
/// does not verify, or a failed request, completes exceptionally with the reason; the session then asks the
/// coordinator for that chunk instead. Resume is the [CheckpointDownload]'s: only chunks not yet on disk are asked for.
final class StorageFetch implements AutoCloseable {

    /// 60 s per chunk request: 1 MiB at 140 kbit/s; a slower line is better served by the coordinator's window.
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /// 10 s: TCP + TLS to the storage endpoint.
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "hearth-storage");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).executor(threads)
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    /// Bytes `[from, from + length)` of the object at `url` (of `totalBytes`), by one HTTP Range request.
    CompletableFuture<byte[]> range(String url, long from, int length, long totalBytes) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT)
                    .header("Range", "bytes=" + from + "-" + (from + length - 1)).GET().build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IOException("the storage URL is unusable: " + e.getMessage()));
        }
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            byte[] body = response.body();
            if (response.statusCode() == 206 && body.length == length) {
                return body;
            } else if (response.statusCode() == 200 && body.length == totalBytes) {
                return java.util.Arrays.copyOfRange(body, (int) from, (int) from + length); // a store that ignores Range
            }
            throw new CompletionException(new IOException("storage answered HTTP " + response.statusCode() + " with "
                    + body.length + " bytes for bytes " + from + ".." + (from + length - 1) + " (" + length + " expected)"));
        });
    }

    /// Chunk `index` of the checkpoint the (validated) manifest describes, from its URL, verified.
    CompletableFuture<Chunk> chunk(CheckpointManifest manifest, int index) {
        long from = (long) index * manifest.getChunkSize();
        int length = CheckpointManifests.chunkLength(manifest, index);
        return range(manifest.getUrl(), from, length, manifest.getTotalBytes()).thenApply(data -> {
            Chunk chunk = Chunk.newBuilder().setVersion(manifest.getVersion()).setIndex(index)
                    .setData(ByteString.copyFrom(data)).build();
            try {
                CheckpointManifests.verifyChunk(manifest, chunk);
            } catch (IllegalArgumentException e) {
                throw new CompletionException(new IOException("checkpoint chunk " + index + " from storage is refused: "
                        + e.getMessage(), e));
            }
            return chunk;
        });
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
