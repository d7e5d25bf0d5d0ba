package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.coordinator.bench.WireClient;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.ledger.UpdateRecord;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.coordinator.service.NodeText;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.identity.UpdateSignatures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.Leave;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 4: a hostile client puts newlines, ANSI escapes, a bidi override and 30 KB into the strings of
/// its `Hello`, its upload's run id, its `Heartbeat.backend` and its `Leave`, over the real protocol; the
/// coordinator's log, the receipt, the ledger and the dashboard's device list get them cleaned and capped, and no
/// line of the log is one the node wrote.
class HostileNodeTextTest {

    static final Duration STEP = Duration.ofSeconds(60);
    static final String FORGED = "[hearth-run] INFO dev.hearth.coordinator.service.CoordinatorService - forged line";

    @Test
    void textFromANodeReachesLogReceiptAndLedgerCleanedAndCapped(@TempDir Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "hostile"
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 0
                [quorum]
                min_nodes = 1
                min_uploads = 1
                [server]
                port = 0
                http_port = 0
                """, "hostile", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        Hello hostile = Hello.newBuilder()
                .setClientVersion("0.1\n" + FORGED + " 1")
                .setBackend("b".repeat(30_000))
                .setDevice("GPU\u001b[1;31mRED\u001b[0m\r\u202Eevil\u001b]0;title\u0007")
                .setTokensPerSecond(1_000).build();
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
        String log;
        String shortId;
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient node = new WireClient(coordinator.address(), NodeIdentity.generate(), hostile)) {
            shortId = node.identity().nodeId().substring(0, 12);
            node.join(STEP);
            RoundStart rs = node.next(Envelope::hasRoundStart, STEP).getRoundStart();
            node.send(Envelope.newBuilder().setUpdateUpload(UpdateSignatures.signed(node.identity(),
                    UpdateUpload.newBuilder().setRunId("hostile\n" + FORGED + " 2\u001b[2J").setRound(rs.getRound())
                            .setBaseVersion(rs.getBaseVersion()).setPayload(ByteString.copyFrom(new byte[16]))
                            .setTokens(1).build())).build());
            UpdateReceipt receipt = node.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
            assertFalse(receipt.getAccepted(), "a dirty run id is not this run's id");
            assertClean(receipt.getReason(), "receipt");
            List<UpdateRecord> rows = coordinator.ledger().updates(rs.getRound());
            assertEquals(1, rows.size());
            assertClean(rows.getFirst().reason(), "ledger");
            // A heartbeat's backend replaces Hello's: it is logged ("trains: …") and listed on the dashboard.
            node.send(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setUnixMillis(System.currentTimeMillis())
                    .setState(NodeState.IDLE).setBackend("cuda\n" + FORGED + " 4\u001b[31m\u202E" + "h".repeat(5_000)))
                    .build());
            awaitLog(captured, "node " + shortId + " trains: ");
            JsonNode status = new ObjectMapper().readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(coordinator.dashboardUrl() + "api/status")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            List<String> shown = new ArrayList<>();
            status.get("devices").forEach(d -> {
                if (d.asText().startsWith(shortId)) shown.add(d.asText());
            });
            assertEquals(1, shown.size(), "the node is listed once: " + status.get("devices"));
            String device = shown.getFirst();
            assertClean(device, "dashboard device");
            assertEquals(shortId + ": cuda" + NodeText.REPLACEMENT + FORGED + " 4" + NodeText.REPLACEMENT
                    + NodeText.REPLACEMENT, device.substring(0, device.lastIndexOf(NodeText.REPLACEMENT) + 1),
                    "the backend is readable");
            assertTrue(device.endsWith("h" + NodeText.ELLIPSIS), "and cut: " + device);
            assertEquals(shortId.length() + 2 + NodeText.MAX_BACKEND_CHARS + 1, device.codePointCount(0, device.length()),
                    "at the backend's cap: " + device);
            node.send(Envelope.newBuilder().setLeave(Leave.newBuilder()
                    .setReason("bye\n" + FORGED + " 3\u001b[2J\u001b[H" + "r".repeat(5_000))).build());
            awaitLog(captured, "node " + shortId + " left (");
            log = captured.toString(StandardCharsets.UTF_8);
        } finally {
            System.setErr(original);
        }
        assertTrue(log.contains("node " + shortId + " left ("), "the leave was logged");
        for (String line : log.split("\n", -1)) {
            assertFalse(line.startsWith(FORGED), "no line of the log is the node's: " + line);
            if (line.contains(shortId)) {
                assertClean(line, "log line");
                assertTrue(line.length() < 2 * (NodeText.MAX_DEVICE_CHARS + NodeText.MAX_BACKEND_CHARS
                        + NodeText.MAX_CLIENT_VERSION_CHARS + NodeText.MAX_REASON_CHARS), "capped: " + line.length());
            }
        }
        assertTrue(log.contains("b".repeat(NodeText.MAX_BACKEND_CHARS) + NodeText.ELLIPSIS), "the backend is cut");
        assertFalse(log.contains("b".repeat(NodeText.MAX_BACKEND_CHARS + 1)), "and not more");
        assertTrue(log.contains("GPU" + NodeText.REPLACEMENT + "RED"), "the device is readable");
        assertTrue(log.contains("node " + shortId + " trains: cuda" + NodeText.REPLACEMENT + FORGED + " 4"),
                "the heartbeat's backend is logged on the coordinator's line: " + log);
        assertFalse(log.contains("h".repeat(NodeText.MAX_BACKEND_CHARS)), "and cut");
    }

    /// Waits (bounded) until the captured log holds `text`: the coordinator logs on its run thread.
    private static void awaitLog(ByteArrayOutputStream captured, String text) {
        long until = System.nanoTime() + STEP.toNanos();
        while (!captured.toString(StandardCharsets.UTF_8).contains(text) && System.nanoTime() < until) {
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polls for the line (bounded)
        }
    }

    static void assertClean(String s, String where) {
        assertFalse(s.chars().anyMatch(c -> c == 0x1b || c == '\r' || c == '\n' || c == 0x202E || c == 0x07),
                where + " holds no control character: " + s);
    }

    /// Writes to both streams (the test's console and the capture).
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final ByteArrayOutputStream b;

        Tee(OutputStream a, ByteArrayOutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) {
            b.write(c);
            try {
                a.write(c);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) {
            b.write(buf, off, len);
            try {
                a.write(buf, off, len);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
