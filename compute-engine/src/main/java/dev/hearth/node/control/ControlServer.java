package dev.hearth.node.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.Durations;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/// The running node's local control API: `hearth pause | resume | snooze 1h | finish | status` talk
/// to it, as `boinccmd` talks to BOINC's GUI RPC and `fahctl` to Folding@home's local socket.
///
/// **Loopback only.** The server binds the loopback address and nothing else ([#start] takes no
/// address; [#bind] refuses any other), and refuses a request whose peer is not loopback.
///
/// **Token.** Every request carries `Authorization: Bearer <token>`; the token (256 random bits, new
/// at every start) is in [ControlFile], readable by the owner only, so other users of the machine
/// cannot pause someone else's node. Requests with an `Origin` header are refused: a web page in
/// the owner's browser may reach loopback, but has no business here.
///
/// Endpoints (JSON answers, one object; verbs answer `{"ok":true,"line":...,"status":{...}}`):
///
/// | method | path         | does                                                    |
/// |--------|--------------|---------------------------------------------------------|
/// | GET    | `/v1/status` | the state, reason, round, owner requests and totals     |
/// | POST   | `/v1/pause`  | pause now (the trainer saves its state)                 |
/// | POST   | `/v1/resume` | follow the policy again                                 |
/// | POST   | `/v1/snooze?duration=PT1H` | pause for that long (1 minute to 7 days)  |
/// | POST   | `/v1/finish` | finish the round in progress, upload it, then pause     |
public final class ControlServer implements AutoCloseable {

    /// 1 minute to 7 days: shorter is a click on Pause/Resume, longer is a pause the owner forgot.
    public static final Duration MIN_SNOOZE = Duration.ofMinutes(1);
    public static final Duration MAX_SNOOZE = Duration.ofDays(7);
    /// 32 bytes = 256 bits of token: guessing it over loopback is hopeless.
    private static final int TOKEN_BYTES = 32;
    /// Requests waiting for the single handler thread; the API is for one owner's scripts.
    private static final int BACKLOG = 8;
    /// 1 s: how long `close` lets a request in flight finish.
    private static final int STOP_DELAY_S = 1;

    private final HttpServer http;
    private final ExecutorService executor;
    private final NodeService node;
    private final Path dataDir;
    private final ControlFile file;
    private final byte[] expected;

    private ControlServer(HttpServer http, ExecutorService executor, NodeService node, Path dataDir, ControlFile file) {
        this.http = http;
        this.executor = executor;
        this.node = node;
        this.dataDir = dataDir;
        this.file = file;
        this.expected = ("Bearer " + file.token()).getBytes(StandardCharsets.UTF_8);
    }

    /// Serves `node`'s control API on an ephemeral loopback port and writes [ControlFile] into `dataDir`.
    public static ControlServer start(NodeService node, Path dataDir) throws IOException {
        return bind(node, dataDir, InetAddress.getLoopbackAddress(), 0);
    }

    /// @throws IllegalArgumentException when `address` is not a loopback address: the API has no
    ///         other protection against the network than not listening on it
    static ControlServer bind(NodeService node, Path dataDir, InetAddress address, int port) throws IOException {
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("the control API listens on loopback only, not on " + address.getHostAddress());
        }
        HttpServer http = HttpServer.create(new InetSocketAddress(address, port), BACKLOG);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hearth-control");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        byte[] raw = new byte[TOKEN_BYTES];
        new SecureRandom().nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        ControlFile file = new ControlFile(http.getAddress().getPort(), token, ProcessHandle.current().pid());
        ControlServer server = new ControlServer(http, executor, node, dataDir, file);
        http.createContext("/v1/", server::handle);
        http.start();
        try {
            file.write(dataDir);
        } catch (IOException e) {
            server.close();
            throw new IOException("could not write " + dataDir.resolve(ControlFile.FILE_NAME) + ": " + e.getMessage(), e);
        }
        return server;
    }

    /// The address it listens on (always loopback).
    public InetSocketAddress address() {
        return http.getAddress();
    }

    public ControlFile file() {
        return file;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            InetAddress peer = ex.getRemoteAddress().getAddress();
            if (!peer.isLoopbackAddress()) {
                answer(ex, 403, error("the control API answers this computer only"));
                return;
            }
            if (ex.getRequestHeaders().containsKey("Origin")) {
                answer(ex, 403, error("requests from web pages are refused"));
                return;
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !MessageDigest.isEqual(expected, auth.getBytes(StandardCharsets.UTF_8))) {
                answer(ex, 401, error("wrong or missing token (it is in " + ControlFile.FILE_NAME + " in the data folder)"));
                return;
            }
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals("/v1/status")) {
                if (!method.equals("GET")) {
                    answer(ex, 405, error("use GET for " + path));
                    return;
                }
                answer(ex, 200, status(node.snapshot()));
                return;
            }
            if (!method.equals("POST")) {
                answer(ex, 405, error("use POST for " + path));
                return;
            }
            switch (path) {
                case "/v1/pause" -> node.pause();
                case "/v1/resume" -> node.resume();
                case "/v1/finish" -> node.finishRoundThenPause();
                case "/v1/snooze" -> {
                    Duration d;
                    try {
                        d = snoozeDuration(ex.getRequestURI());
                    } catch (IllegalArgumentException e) {
                        answer(ex, 400, error(e.getMessage()));
                        return;
                    }
                    node.snooze(d);
                }
                default -> {
                    answer(ex, 404, error("no such command: " + path));
                    return;
                }
            }
            NodeSnapshot after = node.settledSnapshot();
            ObjectNode o = StatusJson.JSON.createObjectNode();
            o.put("ok", true);
            o.put("line", after.line());
            o.set("status", status(after));
            answer(ex, 200, o);
        } catch (RuntimeException e) {
            answer(ex, 500, error("the node could not do that: " + e.getMessage()));
        }
    }

    private ObjectNode status(NodeSnapshot s) {
        ContributionHistory.Totals totals;
        ContributionHistory.DailyTotal today;
        try {
            totals = node.history().totals();
            today = node.history().perDay(1, java.time.ZoneId.systemDefault()).getFirst();
        } catch (RuntimeException e) {
            totals = null;
            today = null;
        }
        NodeSettings settings = node.settings();
        ObjectNode o = StatusJson.withEnergy(StatusJson.of(true, ProcessHandle.current().pid(), s, settings.policy().name(), totals),
                totals, today, settings.energy().tariff());
        return StatusJson.withCpuLimit(o, settings, Runtime.getRuntime().availableProcessors());
    }

    static Duration snoozeDuration(URI uri) {
        String q = uri.getRawQuery();
        if (q == null || !q.startsWith("duration=")) throw new IllegalArgumentException("snooze needs ?duration=PT1H");
        Duration d;
        try {
            d = Duration.parse(java.net.URLDecoder.decode(q.substring("duration=".length()), StandardCharsets.UTF_8));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("snooze duration '" + q.substring(9) + "' is not an ISO-8601 duration like PT1H");
        }
        if (d.compareTo(MIN_SNOOZE) < 0 || d.compareTo(MAX_SNOOZE) > 0) {
            throw new IllegalArgumentException("a snooze lasts from 1 minute to 7 days, not " + Durations.words(d));
        }
        return d;
    }

    private static ObjectNode error(String message) {
        ObjectNode o = StatusJson.JSON.createObjectNode();
        o.put("ok", false);
        o.put("error", message);
        return o;
    }

    private static void answer(HttpExchange ex, int code, ObjectNode body) throws IOException {
        byte[] bytes = StatusJson.JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().putAll(Map.of("Content-Type", java.util.List.of("application/json; charset=utf-8"),
                "Cache-Control", java.util.List.of("no-store")));
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /// Stops listening and removes the control file.
    @Override
    public void close() {
        http.stop(STOP_DELAY_S);
        executor.shutdownNow();
        file.deleteIfMine(dataDir);
    }
}
