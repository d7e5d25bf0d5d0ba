package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.WireClient;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.run.SpotCheckSampler;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.wire.CheckpointManifestRequest;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.RunStatusRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 2: the spot checks are drawn from a secret only the coordinator holds.
class CoordinatorSecretTest {

    static final List<String> NODES = IntStream.range(0, 200).mapToObj(i -> "node-" + i).toList();
    static final double FRACTION = 0.25;

    static List<Set<String>> choices(long seed, int rounds) {
        List<Set<String>> out = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) out.add(SpotCheckSampler.choose(NODES, FRACTION, r, seed));
        return out;
    }

    @Test
    void twoCoordinatorsWithTheSameRunButDifferentSecretsChooseDifferently(@TempDir Path dir) {
        long a = CoordinatorSecret.loadOrCreate(dir.resolve("a")).spotCheckSeed("run");
        long b = CoordinatorSecret.loadOrCreate(dir.resolve("b")).spotCheckSeed("run");
        assertNotEquals(a, b);
        List<Set<String>> ca = choices(a, 20);
        List<Set<String>> cb = choices(b, 20);
        for (int r = 0; r < 20; r++) assertNotEquals(ca.get(r), cb.get(r), "round " + (r + 1));
    }

    @Test
    void aRestartReadsTheSameSecretAndKeepsTheChoiceSequence(@TempDir Path dir) throws Exception {
        CoordinatorSecret first = CoordinatorSecret.loadOrCreate(dir);
        CoordinatorSecret again = CoordinatorSecret.loadOrCreate(dir);
        assertEquals(first.spotCheckSeed("run"), again.spotCheckSeed("run"));
        assertEquals(choices(first.spotCheckSeed("run"), 50), choices(again.spotCheckSeed("run"), 50));
        assertNotEquals(first.spotCheckSeed("run"), first.spotCheckSeed("other-run"), "one key per run");
        Path file = dir.resolve(CoordinatorSecret.FILE_NAME);
        assertEquals(CoordinatorSecret.SECRET_BYTES, Files.size(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(first.toString().contains(hex(first.bytes())), "toString does not show it");
    }

    @Test
    void refusesASecretOthersCanReadOrOfTheWrongSize(@TempDir Path dir) throws Exception {
        CoordinatorSecret.loadOrCreate(dir);
        Path file = dir.resolve(CoordinatorSecret.FILE_NAME);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        var open = assertThrows(IllegalStateException.class, () -> CoordinatorSecret.loadOrCreate(dir));
        assertTrue(open.getMessage().contains("chmod 600"), open.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.write(file, new byte[5]);
        var size = assertThrows(IllegalStateException.class, () -> CoordinatorSecret.loadOrCreate(dir));
        assertTrue(size.getMessage().contains("holds 5 bytes"), size.getMessage());
    }

    @Test
    void theCoordinatorUsesItsSecretAcrossRestartsAndNeverSendsIt(@TempDir Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "secret"
                [validation]
                spot_check_fraction = 0.5
                loss_every_rounds = 0
                [quorum]
                min_nodes = 1
                min_uploads = 1
                [server]
                port = 0
                http_port = 0
                """, "secret", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        long seed;
        List<byte[]> seen = new ArrayList<>();
        try (CoordinatorService c = CoordinatorService.start(config, Clock.systemUTC());
             WireClient node = new WireClient(c.address(), NodeIdentity.generate())) {
            seed = c.spotCheckSeed();
            assertEquals(CoordinatorSecret.loadOrCreate(config.dataDir()).spotCheckSeed(config.runId()), seed);
            assertNotEquals(config.recipe().dataSeed(), seed, "not the run's public seed");
            Duration t = Duration.ofSeconds(60);
            seen.add(Envelope.newBuilder().setWelcome(node.join(t)).build().toByteArray());
            seen.add(node.next(Envelope::hasRoundStart, t).toByteArray());
            node.send(Envelope.newBuilder().setRunStatusRequest(RunStatusRequest.getDefaultInstance()).build());
            seen.add(node.next(Envelope::hasRunStatus, t).toByteArray());
            node.send(Envelope.newBuilder().setCheckpointManifestRequest(CheckpointManifestRequest.getDefaultInstance())
                    .build());
            seen.add(node.next(Envelope::hasCheckpointManifest, t).toByteArray());
            HttpClient http = HttpClient.newHttpClient();
            for (String path : List.of("", "api/status", "api/leaderboard")) {
                seen.add(http.send(HttpRequest.newBuilder(URI.create(c.dashboardUrl() + path)).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body());
            }
        }
        byte[] secret = CoordinatorSecret.loadOrCreate(config.dataDir()).bytes();
        List<byte[]> forms = List.of(secret, ByteBuffer.allocate(8).putLong(seed).array(),
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(seed).array(),
                Long.toString(seed).getBytes(StandardCharsets.US_ASCII), hex(secret).getBytes(StandardCharsets.US_ASCII));
        for (byte[] message : seen) {
            for (byte[] form : forms) assertFalse(contains(message, form), "a message carries the secret or its seed");
        }
        try (CoordinatorService again = CoordinatorService.start(config, Clock.systemUTC())) {
            assertEquals(seed, again.spotCheckSeed(), "a restart keeps the seed, so the choice sequence goes on");
        }
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
