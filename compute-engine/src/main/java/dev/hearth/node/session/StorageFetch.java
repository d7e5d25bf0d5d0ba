package dev.hearth.node.session;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.CheckpointManifests;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.Chunk;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/// Fetches checkpoint chunks from object storage (issue 17): the manifest's presigned GET URL, one HTTP `Range`
/// request per chunk, each chunk checked against its SHA-256 in the manifest before it is handed on. A chunk that
/// does not verify, or a failed request, completes exceptionally with the reason; the session then asks the
/// coordinator for that chunk instead. Resume is two-level: a response cut mid-chunk is resumed from storage at the
/// byte it stopped ([#range]); across restarts, [CheckpointDownload] keeps the chunks on disk and only the others are
/// asked for.
final class StorageFetch implements AutoCloseable {

    /// 60 s per chunk request: 1 MiB at 140 kbit/s; a slower line is better served by the coordinator's window.
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /// 10 s: TCP + TLS to the storage endpoint.
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /// 3: a dropped connection is resumed from storage this many times per range before the caller falls back to the
    /// coordinator (a store that keeps dropping mid-body is better avoided).
    static final int MAX_RESUMES = 3;

    private final ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "hearth-storage");
        t.setDaemon(true);
        return t;
    });
    /// Blocking reads of response bodies, kept off the HTTP client's own threads.
    private final ExecutorService readers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "hearth-storage-read");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).executor(threads)
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    /// Bytes `[from, from + length)` of the object at `url` (of `totalBytes`), by HTTP Range requests. A response cut
    /// mid-body (the connection dropped) is resumed from storage at the first byte not yet received, up to
    /// [#MAX_RESUMES] times; what arrived is kept, so a cut costs no bytes twice. An HTTP error status is not retried.
    CompletableFuture<byte[]> range(String url, long from, int length, long totalBytes) {
        URI uri;
        try {
            uri = URI.create(url);
            HttpRequest.newBuilder(uri); // checks the scheme
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IOException("the storage URL is unusable: " + e.getMessage()));
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return read(uri, from, length, totalBytes);
            } catch (IOException e) {
                throw new CompletionException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CompletionException(new IOException("the storage download was interrupted", e));
            }
        }, readers);
    }

    private byte[] read(URI uri, long from, int length, long totalBytes) throws IOException, InterruptedException {
        byte[] out = new byte[length];
        int received = 0;
        IOException cut = null;
        for (int attempt = 0; attempt <= MAX_RESUMES && received < length; attempt++) {
            long start = from + received;
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                    .header("Range", "bytes=" + start + "-" + (from + length - 1)).GET().build();
            HttpResponse<InputStream> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                cut = e;
                continue;
            }
            // The request's timeout covers the response head only: a body that stalls is interrupted after the same
            // time, which ends this request as a cut (resumed from where it stopped).
            Stall stall = new Stall(Thread.currentThread());
            try (InputStream body = response.body()) {
                if (response.statusCode() == 200 && received == 0) { // a store that ignores Range: the whole object
                    byte[] whole = body.readNBytes((int) Math.min(totalBytes, Integer.MAX_VALUE));
                    if (whole.length == totalBytes) {
                        return java.util.Arrays.copyOfRange(whole, (int) from, (int) from + length);
                    }
                    throw new IOException("storage answered HTTP 200 with " + whole.length + " of the object's "
                            + totalBytes + " bytes");
                }
                if (response.statusCode() != 206) {
                    throw new IOException("storage answered HTTP " + response.statusCode() + " for bytes " + start
                            + ".." + (from + length - 1));
                }
                try {
                    int n;
                    while (received < length && (n = body.read(out, received, length - received)) > 0) {
                        received += n;
                    }
                    if (received < length) cut = new IOException("storage closed the response after " + received
                            + " of " + length + " bytes");
                } catch (IOException e) {
                    cut = e; // keeps what arrived; the next request starts after it
                }
            } finally {
                if (stall.disarm()) cut = new IOException("storage stalled for " + REQUEST_TIMEOUT.toSeconds()
                        + " s after " + received + " of " + length + " bytes");
            }
        }
        if (received < length) {
            throw new IOException("storage sent " + received + " of bytes " + from + ".." + (from + length - 1)
                    + " in " + (MAX_RESUMES + 1) + " requests: " + (cut == null ? "no reason given" : cut.getMessage()));
        }
        return out;
    }

    /// Interrupts the reading thread once [#REQUEST_TIMEOUT] has passed, unless disarmed first.
    private static final class Stall {
        private final Thread reader;
        private final CompletableFuture<Void> timer;
        private boolean done;

        Stall(Thread reader) {
            this.reader = reader;
            this.timer = CompletableFuture.runAsync(this::fire,
                    CompletableFuture.delayedExecutor(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        }

        private synchronized void fire() {
            if (!done) {
                done = true;
                reader.interrupt();
            }
        }

        /// Stops the timer; true when it had fired (its interrupt is then cleared from the reading thread).
        synchronized boolean disarm() {
            timer.cancel(false);
            if (done) {
                Thread.interrupted();
                return true;
            }
            done = true;
            return false;
        }
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
        readers.shutdownNow();
        threads.shutdownNow();
    }
}
