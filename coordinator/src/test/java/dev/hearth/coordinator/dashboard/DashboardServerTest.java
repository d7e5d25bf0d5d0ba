package dev.hearth.coordinator.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.ledger.RoundStats;
import dev.hearth.coordinator.ledger.UpdateRecord;
import dev.hearth.coordinator.run.BatchRef;
import dev.hearth.coordinator.run.RoundCommit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/// The dashboard over real HTTP on an ephemeral loopback port.
class DashboardServerTest {

    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Ledger ledger;
    private DashboardServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        ledger = Ledger.open(dir.resolve("ledger.db"));
        ledger.bindRun("run-1", "Test run", 100, 1, T0);
        ledger.nodeSeen("alice", null, T0);
        ledger.nodeSeen("<script>bob", null, T0);
        for (int r = 1; r <= 3; r++) {
            Instant opened = T0.plusSeconds(60L * r);
            ledger.roundOpened(r, r - 1, opened, opened.plusSeconds(30));
            ledger.recordUpdate(new UpdateRecord(r, "alice", true, "accepted", 1000, 512, 1, opened.plusSeconds(5)));
            var batches = Map.of("alice", List.of(new BatchRef(0, 2L * r), new BatchRef(0, 2L * r + 1)),
                    "<script>bob", List.of(new BatchRef(0, 50L + r)));
            var c = new RoundCommit(r, r - 1, r, opened, opened.plusSeconds(12), batches,
                    Map.of("alice", 512L, "<script>bob", 256L), List.of());
            ledger.commitRound(c, new RoundStats(5.0 - r, r == 3 ? 4.5 : Double.NaN, 0, 1000, 4000), Map.of());
        }
        var source = new LedgerDashboardSource(ledger, 200, () -> "ROUND_OPEN", () -> 2,
                Clock.fixed(T0.plusSeconds(999), ZoneOffset.UTC));
        server = DashboardServer.start("127.0.0.1", 0, source, () -> "the parliament is\nthe parliament",
                () -> List.of("3f2a9c1b: training on NVIDIA GeForce RTX 3060 (compute capability 8.6) at micro-batch 8",
                        "77c0de11: CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE); training on the CPU"));
    }

    @AfterEach
    void stop() {
        server.close();
        ledger.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusIsJsonWithTheRunHistoryAndSample() throws Exception {
        var res = send("GET", "/api/status");
        assertEquals(200, res.statusCode());
        assertEquals("application/json", res.headers().firstValue("content-type").orElseThrow());
        assertEquals("no-store", res.headers().firstValue("cache-control").orElseThrow());
        JsonNode s = JSON.readTree(res.body());
        assertEquals("run-1", s.get("runId").asText());
        assertEquals("Test run", s.get("name").asText());
        assertEquals("ROUND_OPEN", s.get("phase").asText());
        assertEquals(3, s.get("version").asLong());
        assertEquals(3, s.get("round").asLong());
        assertEquals(200, s.get("totalRounds").asLong());
        assertEquals(2, s.get("nodesOnline").asInt());
        assertEquals(3 * 768, s.get("tokens").asLong());
        assertEquals(3000, s.get("bytesIn").asLong());
        assertEquals(12000, s.get("bytesOut").asLong());
        assertEquals("the parliament is\nthe parliament", s.get("sample").asText());
        assertEquals(2, s.get("devices").size(), "what each connected node trains on");
        assertEquals("77c0de11: CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE); training on the CPU",
                s.get("devices").get(1).asText());
        JsonNode history = s.get("history");
        assertEquals(3, history.size());
        assertEquals(4.0, history.get(0).get("meanLoss").asDouble());
        assertTrue(history.get(0).get("valLoss").isNull(), "an unmeasured validation loss is null, not NaN");
        assertEquals(4.5, history.get(2).get("valLoss").asDouble());
        assertEquals(12_000, history.get(1).get("durationMillis").asLong());
        assertEquals(2, history.get(1).get("accepted").asInt());
    }

    @Test
    void leaderboardListsCreditsPerNodeHighestFirst() throws Exception {
        var res = send("GET", "/api/leaderboard");
        assertEquals(200, res.statusCode());
        List<LeaderboardEntry> rows = List.of(JSON.readValue(res.body(), LeaderboardEntry[].class));
        assertEquals(List.of(new LeaderboardEntry("alice", 1536, 3, false), new LeaderboardEntry("<script>bob", 768, 3, false)),
                rows);
    }

    @Test
    void anythingButGetAndHeadIs405() throws Exception {
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
            var res = send(method, "/api/status");
            assertEquals(405, res.statusCode(), method);
            assertEquals("GET, HEAD", res.headers().firstValue("allow").orElseThrow(), method);
            assertTrue(res.body().contains("read-only"), method);
        }
    }

    @Test
    void headAnswersHeadersWithoutABody() throws Exception {
        var get = send("GET", "/api/leaderboard");
        var head = send("HEAD", "/api/leaderboard");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals(String.valueOf(get.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
                head.headers().firstValue("content-length").orElseThrow());
    }

    @Test
    void thePageLoadsEchartsFromTheWebjarOnThisServer() throws Exception {
        var page = send("GET", "/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElseThrow().startsWith("text/html"));
        assertTrue(page.headers().firstValue("content-security-policy").orElseThrow().contains("script-src 'self'"));
        var m = Pattern.compile("<script src=\"(/webjars/echarts/[^\"]+)\"></script>").matcher(page.body());
        assertTrue(m.find(), "the page references the ECharts webjar");
        assertFalse(page.body().contains("http://") || page.body().contains("https://"), "no CDN");
        var lib = send("GET", m.group(1));
        assertEquals(200, lib.statusCode());
        assertTrue(lib.headers().firstValue("content-type").orElseThrow().startsWith("text/javascript"));
        assertTrue(lib.body().length() > 500_000, "the minified ECharts bundle");
        var script = send("GET", "/dashboard.js");
        assertEquals(200, script.statusCode());
        assertTrue(script.body().contains("/api/status"));
        assertFalse(script.body().contains("innerHTML"), "server data is never parsed as HTML");
    }

    /// The page's formatting, run in Node.js as it is served: the same strings as dev.hearth.node.api.Units gives
    /// the app and `hearth status` (binary sizes with IEC symbols, credits with one decimal). Skipped where no
    /// `node` is installed.
    @Test
    void theServedScriptFormatsSizesAndCreditsAsTheAppDoes() throws Exception {
        Path node = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .map(d -> Path.of(d, "node")).filter(Files::isExecutable).findFirst().orElse(null);
        assumeTrue(node != null, "Node.js is not installed");
        Path script = dir.resolve("dashboard.js");
        Files.writeString(script, send("GET", "/dashboard.js").body());
        String harness = "const u = require(process.argv[1]);"
                + "console.log([0, 512, 1024, 1536, 45356, 1048575, 1572864, 12 * 1024 ** 3].map(u.bytes).join('|'));"
                + "console.log([40960, 8192, 0.5].map(u.credits).join('|'));";
        Process p = new ProcessBuilder(node.toString(), "-e", harness, script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "node finished");
        assertEquals(0, p.exitValue(), out);
        assertEquals(List.of("0 B|512 B|1.0 KiB|1.5 KiB|44 KiB|1.0 MiB|1.5 MiB|12 GiB", "40,960.0|8,192.0|0.5"),
                out.lines().toList());
    }

    @Test
    void theContributorsTableCutsLongNodeIdsInsideItsPanel() throws Exception {
        String page = send("GET", "/").body();
        assertTrue(page.contains("table-layout: fixed"), "column widths do not grow with a node id");
        assertTrue(page.contains("text-overflow: ellipsis"), "a long id ends in an ellipsis");
        assertTrue(send("GET", "/dashboard.js").body().contains("td.title = text"), "the whole id shows on hover");
    }

    @Test
    void unknownPathsAndEscapesAre404() throws Exception {
        assertEquals(404, send("GET", "/nope").statusCode());
        assertEquals(404, send("GET", "/webjars/../dev/hearth/coordinator/dashboard/index.html").statusCode());
        assertEquals(404, send("GET", "/webjars/echarts/%2e%2e/%2e%2e/x.js").statusCode());
        assertEquals(404, send("GET", "/webjars/echarts/5.3.1/LICENSE").statusCode(), "only known static types");
    }

    @Test
    void bindsWhereItIsToldAndReportsAPortClash() {
        var e = assertThrows(IllegalStateException.class, () -> DashboardServer.start("127.0.0.1", server.port(),
                new LedgerDashboardSource(ledger, 1, () -> "X", () -> 0, Clock.systemUTC()), () -> ""));
        assertTrue(e.getMessage().contains("--http-port"), e.getMessage());
    }
}
