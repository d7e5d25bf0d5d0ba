package dev.hearth.node.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.Durations;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The control API's protection: loopback only, and the token (against a real node).
class ControlServerTest {

    @TempDir Path dir;
    private NodeRuntime node;
    private ControlFile file;

    @BeforeEach
    void startNode() throws Exception {
        node = NodeRuntime.start(dir, Clock.systemUTC(), true, log -> new AwayOwnerProbes("Test machine: training on the CPU."));
        file = ControlFile.read(dir).orElseThrow();
    }

    @AfterEach
    void stopNode() {
        node.close();
    }

    private HttpResponse<String> post(String path, String auth, String origin) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + file.port() + path)).POST(HttpRequest.BodyPublishers.noBody());
        if (auth != null) b.header("Authorization", auth);
        if (origin != null) b.header("Origin", origin);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aWrongOrMissingTokenIsRefusedAndChangesNothing() throws Exception {
        var wrong = post("/v1/pause", "Bearer x" + file.token().substring(1), null);
        var missing = post("/v1/pause", null, null);

        assertEquals(401, wrong.statusCode());
        assertEquals(401, missing.statusCode());
        assertTrue(wrong.body().contains("wrong or missing token"), wrong.body());
        assertFalse(node.settledSnapshot().pausedByOwner(), "a refused request paused the node");
    }

    @Test
    void aRequestFromAWebPageIsRefusedEvenWithTheToken() throws Exception {
        var r = post("/v1/pause", "Bearer " + file.token(), "http://evil.example");

        assertEquals(403, r.statusCode());
        assertFalse(node.settledSnapshot().pausedByOwner());
    }

    @Test
    void theRightTokenPauses() throws Exception {
        var r = post("/v1/pause", "Bearer " + file.token(), null);

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(node.snapshot().pausedByOwner());
    }

    @Test
    void statusWantsGetAndVerbsWantPost() throws Exception {
        var r = post("/v1/status", "Bearer " + file.token(), null);

        assertEquals(405, r.statusCode());
    }

    @Test
    void itListensOnLoopbackOnlyAndCannotBeBoundElsewhere() throws Exception {
        var any = assertThrows(IllegalArgumentException.class, () -> ControlServer.bind(node, dir, InetAddress.getByName("0.0.0.0"), 0));
        var lan = assertThrows(IllegalArgumentException.class, () -> ControlServer.bind(node, dir, InetAddress.getByName("192.168.1.20"), 0));

        assertTrue(any.getMessage().contains("loopback only"), any.getMessage());
        assertTrue(lan.getMessage().contains("loopback only"), lan.getMessage());
        Path other = Files.createDirectories(dir.resolve("other"));
        try (ControlServer s = ControlServer.start(node, other)) {
            assertTrue(s.address().getAddress().isLoopbackAddress(), s.address().toString());
        }
    }

    @Test
    void snoozeDurationsOutsideTheRangeAreRefused() {
        assertEquals(Duration.ofHours(1), ControlServer.snoozeDuration(URI.create("/v1/snooze?duration=PT1H")));
        assertThrows(IllegalArgumentException.class, () -> ControlServer.snoozeDuration(URI.create("/v1/snooze?duration=PT10S")));
        assertThrows(IllegalArgumentException.class, () -> ControlServer.snoozeDuration(URI.create("/v1/snooze?duration=P30D")));
        assertThrows(IllegalArgumentException.class, () -> ControlServer.snoozeDuration(URI.create("/v1/snooze")));
    }

    @Test
    void durationsReadAsPeopleTypeThem() {
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofMinutes(30), Durations.parse("30m"));
        assertEquals(Duration.ofHours(1), Durations.parse("PT1H"));
        assertEquals("1 h 30 min", Durations.words(Duration.ofMinutes(90)));
        assertEquals("7 s", Durations.words(Duration.ofMillis(7995)));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("soon"));
    }
}
