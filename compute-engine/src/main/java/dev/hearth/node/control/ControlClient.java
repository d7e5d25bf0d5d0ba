package dev.hearth.node.control;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/// The CLI's side of [ControlServer]: reads [ControlFile] from the data dir and sends one request.
public final class ControlClient {

    /// 2 s to connect: loopback answers in microseconds; longer means nothing is listening.
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /// 15 s per request: a verb waits for the node thread, which may be stopping a trainer (≤ 1.5 s).
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private final ControlFile file;
    private final HttpClient http;

    private ControlClient(ControlFile file) {
        this.file = file;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).proxy(java.net.ProxySelector.of(null)).build();
    }

    /// @return empty when no node serves its control API from `dataDir` (no file, or its process is gone)
    public static Optional<ControlClient> find(Path dataDir) throws IOException {
        Optional<ControlFile> f = ControlFile.read(dataDir);
        if (f.isEmpty()) return Optional.empty();
        boolean alive = ProcessHandle.of(f.get().pid()).map(ProcessHandle::isAlive).orElse(false);
        return alive ? Optional.of(new ControlClient(f.get())) : Optional.empty();
    }

    /// A refused request: the node's own words and the HTTP status.
    public static final class ControlException extends IOException {
        private final int status;

        ControlException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /// @param verb `pause`, `resume`, `finish`, or `snooze` (with `snooze`)
    /// @return the node's answer (`ok`, `line`, `status`)
    public JsonNode post(String verb, Duration snooze) throws IOException, InterruptedException {
        String query = snooze == null ? "" : "?duration=" + snooze;
        return send(HttpRequest.newBuilder(uri("/v1/" + verb + query)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    public JsonNode status() throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri("/v1/status")).GET());
    }

    private URI uri(String path) {
        return URI.create("http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + file.port() + path);
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> r;
        try {
            r = http.send(request.timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + file.token()).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new ConnectException("the node (pid " + file.pid() + ") does not answer on port " + file.port());
        } catch (HttpTimeoutException e) {
            throw new IOException("the node (pid " + file.pid() + ") did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s", e);
        }
        JsonNode body;
        try {
            body = StatusJson.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new ControlException(r.statusCode(), "the node answered something that is not JSON (HTTP " + r.statusCode() + ")");
        }
        if (r.statusCode() != 200) throw new ControlException(r.statusCode(), body.path("error").asText("HTTP " + r.statusCode()));
        return body;
    }
}
